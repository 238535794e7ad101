"""Builds the auth service's gRPC server."""

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.libs.rpc.host import ServiceHost
from simpletuner.libs.rpc.identity import TokenVerifier
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .keys import ensure_keys
from .models import MIGRATIONS
from .servicer import AuthServicer
from .settings import AuthSettings


def build_server(settings: AuthSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the AuthService, health and reflection."""
    host = ServiceHost(TokenVerifier(settings.stack.token_public_key_file))
    host.add(
        auth_pb2_grpc.add_AuthServiceServicer_to_server,
        AuthServicer(runtime),
        auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
    )
    return host


SPEC = ServiceSpec(
    name="auth",
    settings_type=AuthSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
    prepare=ensure_keys,
)
