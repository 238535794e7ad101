"""The real stack, started once for the integration tests that only observe it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simpletuner.libs.testing.stack import RunningStack, database_env, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("workspace"), env=database_env(database_url)) as running:
        yield running
