"""Auth building blocks: argon2id hashing, the password policy, and how resource rules decide."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from simpletuner.libs.rpc.errors import InvalidArgument
from simpletuner.services.auth.passwords import hash_password, verify_password
from simpletuner.services.auth.roles import SYSTEM_LEVELS, effective_permissions
from simpletuner.services.auth.rules import decide


def test_passwords_are_hashed_with_argon2id_and_verified() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "wrong horse")
    assert not verify_password(None, "correct horse")  # unknown user: same work, still false


def test_short_passwords_are_refused_with_the_rule() -> None:
    with pytest.raises(InvalidArgument, match="8 to 256 characters"):
        hash_password("short")


def test_overrides_add_and_remove_permissions_on_top_of_levels() -> None:
    assert effective_permissions({"a", "b"}, {"b": False, "c": True}) == {"a", "c"}


def test_system_levels_grow_from_viewer_to_admin() -> None:
    viewer, researcher, lead, admin = (set(level.permissions) for level in SYSTEM_LEVELS)
    assert viewer < researcher < lead < admin
    assert [level.priority for level in SYSTEM_LEVELS] == [0, 10, 50, 100]


@dataclass
class FakeRule:
    id: str
    name: str
    pattern: str
    allow: bool


@dataclass
class FakeUser:
    is_admin: bool = False


@pytest.mark.parametrize(
    ("rules", "resource", "allowed"),
    [
        ([], "anything", True),
        ([FakeRule("1", "a", "team-a-*", True)], "team-a-x", True),
        ([FakeRule("1", "a", "team-a-*", True)], "team-b-x", False),
        ([FakeRule("1", "a", "team-a-*", True), FakeRule("2", "d", "team-a-x", False)], "team-a-x", True),
        ([FakeRule("2", "d", "secret-*", False)], "secret-1", False),
        ([FakeRule("2", "d", "secret-*", False)], "public-1", False),
    ],
    ids=["no-rules", "allowed", "unmatched", "allow-wins", "denied", "rules-but-no-match"],
)
def test_resource_rules_decide_allow_wins_and_unmatched_is_denied(
    rules: list[FakeRule], resource: str, allowed: bool
) -> None:
    assert decide(FakeUser(), rules, resource).allowed is allowed  # type: ignore[arg-type]


def test_administrators_bypass_resource_rules() -> None:
    assert decide(FakeUser(is_admin=True), [FakeRule("2", "d", "*", False)], "x").allowed  # type: ignore[arg-type]
