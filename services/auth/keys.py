"""The auth service's token-signing key pair: created once in the workspace, public half shared."""

from simpletuner.libs.rpc.identity import ensure_signing_keys

from .settings import AuthSettings


def ensure_keys(settings: AuthSettings) -> None:
    """Create the ES256 key pair the first time auth starts in this workspace."""
    public = settings.stack.token_public_key_file
    ensure_signing_keys(public.with_name("token-private.pem"), public)
