"""Users' Hugging Face Hub logins: tokens encrypted at rest (Fernet), shown to nobody, handed only to services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken

from simpletuner.libs.context import Caller
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import InvalidArgument

from .audit import AuditLog
from .models import HubLogin

MAX_TOKEN_LENGTH = 500


@dataclass(frozen=True)
class HubLoginView:
    """What a user may see of their login: never the token."""

    saved: bool
    hub_username: str = ""
    namespaces: list[str] = field(default_factory=list)
    saved_at: datetime | None = None


class HubLogins:
    def __init__(self, database: Database, audit: AuditLog, key: bytes) -> None:
        self.db = database
        self.audit = audit
        self._fernet = Fernet(key)

    def get(self, caller: Caller) -> HubLoginView:
        with self.db.session() as db:
            return _view(db.get(HubLogin, caller.subject))

    def save(self, caller: Caller, token: str, hub_username: str, namespaces: list[str]) -> HubLoginView:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH or any(c.isspace() for c in token):
            raise InvalidArgument("paste the Hub access token alone (hf_…), without spaces", field="token")
        if not hub_username:
            raise InvalidArgument("hub_username is the Hub account the token belongs to", field="hub_username")
        row = HubLogin(
            user_id=caller.subject,
            token_encrypted=self._fernet.encrypt(token.encode()).decode(),
            hub_username=hub_username,
            namespaces=list(dict.fromkeys([hub_username, *namespaces])),
            saved_at=utcnow(),
        )
        with self.db.session() as db:
            db.merge(row)
            details = {"hub_username": hub_username}
            self.audit.record(db, "hub_login.saved", target_type="user", target_id=caller.subject, details=details)
        return _view(row)

    def delete(self, caller: Caller) -> None:
        with self.db.session() as db:
            row = db.get(HubLogin, caller.subject)
            if row is not None:
                db.delete(row)
                details = {"hub_username": row.hub_username}
                self.audit.record(
                    db, "hub_login.deleted", target_type="user", target_id=caller.subject, details=details
                )

    def token_of(self, user_id: str) -> tuple[str, str]:
        """(token, hub_username) for a service that uploads this user's run; ("", "") when none is saved."""
        with self.db.session() as db:
            row = db.get(HubLogin, user_id)
            if row is None:
                return "", ""
            try:
                return self._fernet.decrypt(row.token_encrypted.encode()).decode(), row.hub_username
            except InvalidToken:  # the workspace's key changed: the user has to save the token again
                return "", row.hub_username


def _view(row: HubLogin | None) -> HubLoginView:
    if row is None:
        return HubLoginView(saved=False)
    return HubLoginView(True, row.hub_username, list(row.namespaces), row.saved_at)
