"""Sign-in rate limits: too many failures for one account or from one address answer 429 with Retry-After."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as DbSession

from simpletuner.libs.rpc.errors import RateLimited

from . import store


@dataclass(frozen=True)
class Limit:
    prefix: str
    failures: int
    window: timedelta


ACCOUNT_LIMIT = Limit("account", failures=5, window=timedelta(minutes=15))
ADDRESS_LIMIT = Limit("ip", failures=20, window=timedelta(minutes=15))


def _keys(login: str, ip: str) -> list[tuple[Limit, str]]:
    keys = [(ACCOUNT_LIMIT, f"{ACCOUNT_LIMIT.prefix}:{login.strip().lower()}")]
    if ip:
        keys.append((ADDRESS_LIMIT, f"{ADDRESS_LIMIT.prefix}:{ip}"))
    return keys


def check(db: DbSession, login: str, ip: str, now: datetime) -> None:
    """Refuse the attempt, before checking the password, when a limit is reached."""
    for limit, key in _keys(login, ip):
        failures = store.login_failures_since(db, key, now - limit.window)
        if len(failures) >= limit.failures:
            retry_after = failures[-limit.failures] + limit.window - now
            raise RateLimited(
                "too many failed sign-ins; wait before trying again",
                retry_after_seconds=max(int(retry_after.total_seconds()) + 1, 1),
            )


def record_failure(db: DbSession, login: str, ip: str, now: datetime) -> None:
    store.record_login_failure(db, [key for _, key in _keys(login, ip)], now)


def record_success(db: DbSession, login: str, now: datetime) -> None:
    """A good password clears the account's count; old rows of every key are pruned."""
    store.forget_login_failures(db, [key for _, key in _keys(login, "")])
    store.forget_login_failures_before(db, now - max(ACCOUNT_LIMIT.window, ADDRESS_LIMIT.window))
