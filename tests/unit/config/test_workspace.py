"""The config service's Workspace on a real SQLite database: listing past broken folders, renames that carry
every user's active environment along, and validation that reads `x` and `--x` alike."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from simpletuner.libs import context
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.migrations import upgrade_to_head
from simpletuner.libs.options import CATALOGUE, validation
from simpletuner.services.config.environments import CONFIG_FILE, Metadata
from simpletuner.services.config.models import MIGRATIONS
from simpletuner.services.config.workspace import Workspace

EDITOR = frozenset({"config.view", "config.edit.all"})
DATALOADER = [
    {"id": "images", "type": "local", "dataset_type": "image", "instance_data_dir": "datasets/x"},
    {"id": "text", "type": "local", "dataset_type": "text_embeds", "default": True, "cache_dir": "cache/text"},
]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    database = Database(f"sqlite:///{tmp_path / 'config.db'}")
    upgrade_to_head(database, MIGRATIONS)
    return Workspace((tmp_path / "configs", tmp_path / "datasets"), database, auth=None)


@contextmanager
def signed_in(subject: str) -> Iterator[None]:
    """Calls made as `subject` (what the identity interceptor sets from a verified token)."""
    token = context.caller.set(context.Caller(subject=subject, username=subject, permissions=EDITOR))
    try:
        yield
    finally:
        context.caller.reset(token)


async def test_one_unreadable_folder_does_not_hide_the_other_environments(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    root = workspace.store.root
    workspace.store.create("good", {"--seed": 1}, Metadata())
    (root / "broken").mkdir()
    (root / "broken" / CONFIG_FILE).write_text('{"--seed": ')
    (root / "a-list").mkdir()
    (root / "a-list" / CONFIG_FILE).write_text("[1, 2]")
    (root / "alias").symlink_to(root / "good")
    with signed_in("u1"), caplog.at_level(logging.WARNING, "simpletuner.config.workspace"):
        environments, _ = await workspace.environments()
    assert [environment.name for environment in environments] == ["good"]
    skipped = " ".join(record.getMessage() for record in caplog.records)
    assert "broken" in skipped and "a-list" in skipped and "alias" in skipped


async def test_a_rename_moves_every_users_active_environment_to_the_new_name(workspace: Workspace) -> None:
    for name in ("shared", "other"):
        workspace.store.create(name, {"--seed": 1}, Metadata(owner_id="u1"))
    for user, name in (("u1", "shared"), ("u2", "shared"), ("u3", "other")):
        with signed_in(user):
            await workspace.activate(name)
    with signed_in("u1"):
        await workspace.rename("shared", "renamed")
    active = {}
    for user in ("u1", "u2", "u3"):
        with signed_in(user):
            active[user] = workspace.active_name()
    assert active == {"u1": "renamed", "u2": "renamed", "u3": "other"}


@pytest.mark.parametrize("dashes", ["", "--"])
async def test_the_duration_check_reads_bare_and_dashed_keys_alike(workspace: Workspace, dashes: str) -> None:
    (workspace.store.root / "loader.json").write_text(json.dumps(DATALOADER))
    base = {"model_family": "sdxl", "pretrained_model_name_or_path": "m", "output_dir": "output/x"}
    base |= {"data_backend_config": "loader.json", "max_train_steps": 100}
    defaulted = {f"{dashes}{key}": value for key, value in base.items()} | {f"{dashes}num_train_epochs": 1}
    workspace.store.create("steps", defaulted, Metadata())
    workspace.store.create("both", defaulted | {f"{dashes}num_train_epochs": 3}, Metadata())
    with signed_in("u1"):
        steps, _, _, _ = await workspace.validate({}, "steps", True, [])
        both, _, _, _ = await workspace.validate({}, "both", True, [])
    assert steps.valid, steps.errors  # epochs at the catalogue's 1 yield to the steps asked for
    assert [field for field, _ in both.errors] == ["max_train_steps"]  # 3 epochs and 100 steps: one must go


def test_a_missing_output_dir_or_dataloader_is_an_error_naming_the_field(tmp_path: Path) -> None:
    defaults = {option.name: option.default for option in CATALOGUE}
    given = {"model_family": "sdxl", "pretrained_model_name_or_path": "m"}
    report = validation.check(defaults | given, set(given), tmp_path, tmp_path)
    problems = dict(report.errors)
    assert "--output_dir is required" in problems["output_dir"]
    assert "--data_backend_config is required" in problems["data_backend_config"]


def test_no_required_option_has_a_default_that_would_hide_its_absence() -> None:
    assert [option.name for option in CATALOGUE if option.required and option.default is not None] == []
