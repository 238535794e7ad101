"""The real stack, started once for the integration tests that only observe it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from simpletuner.libs.testing.stack import Account, RunningStack, create_first_admin, database_env, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("workspace"), env=database_env(new_database())) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> Account:
    """The stack's first administrator (created once per module's stack)."""
    return create_first_admin(stack)
