"""The workspace's folders and the first-run onboarding on the real stack (/api/webui): defaults, moving the
folders while the stack runs, refused paths, who may change them, the GPU choice kept in the Default
environment, and administrators sent to /onboarding until it is done."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)

STEPS = ["configs", "folders", "gpus", "environment"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]) -> Iterator[RunningStack]:
    """A stack of its own (onboarding is workspace-wide) with two declared GPUs (runs would train on the CPU)."""
    env = database_env(new_database()) | {"SIMPLETUNER_TRAINER_GPUS": "2xA100:40"}
    with running_stack(tmp_path_factory.mktemp("workspace"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> Account:
    return create_first_admin(stack)


@pytest.fixture(scope="module")
def researcher(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "onboarding-researcher", ["researcher"])


@pytest.fixture
def http(stack: RunningStack, admin: Account) -> Iterator[httpx.Client]:
    with stack.http(headers=admin.headers) as client:
        yield client


def state(http: httpx.Client) -> dict[str, Any]:
    reply = http.get("/api/webui/state")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def step(http: httpx.Client, step_id: str, **values: Any) -> httpx.Response:
    return http.post(f"/api/webui/onboarding/steps/{step_id}", json=values)


def environment_names(http: httpx.Client) -> list[str]:
    return [config["name"] for config in http.get("/api/configs/").json()["configs"]]


@pytest.fixture(autouse=True)
def fresh_onboarding(http: httpx.Client, stack: RunningStack) -> Iterator[None]:
    """Each test starts with onboarding to do and the folders at their defaults."""
    http.post("/api/webui/onboarding/reset").raise_for_status()
    yield
    step(http, "configs", configs_dir=str(stack.workspace / "configs")).raise_for_status()
    folders = {"datasets_dir": str(stack.workspace / "datasets"), "output_dir": str(stack.workspace / "output")}
    step(http, "folders", **folders).raise_for_status()


def test_a_fresh_workspace_uses_its_own_folders_and_has_onboarding_to_do(stack: RunningStack, http: httpx.Client):
    found = state(http)
    workspace = stack.workspace.resolve()
    assert found["workspace"] | {"defaults": None} == {
        "configs_dir": str(workspace / "configs"),
        "datasets_dir": str(workspace / "datasets"),
        "output_dir": str(workspace / "output"),
        "workspace_dir": str(workspace),
        "default_environment": "default",
        "defaults": None,
    }
    assert found["workspace"]["defaults"]["configs_dir"] == str(workspace / "configs")
    assert found["onboarding"]["complete"] is False
    assert found["onboarding"]["completed_steps"] == []
    assert [(s["id"], s["done"]) for s in found["onboarding"]["steps"]] == [(s, False) for s in STEPS]


def test_administrators_are_sent_to_onboarding_until_it_is_done_and_others_never_are(
    stack: RunningStack, http: httpx.Client, researcher: Account
) -> None:
    sent = http.get("/queue", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/onboarding"
    assert http.get("/onboarding", follow_redirects=False).status_code == 200
    with stack.http(headers=researcher.headers) as other:
        assert other.get("/queue", follow_redirects=False).status_code == 200
    finished = http.post("/api/webui/onboarding/complete")
    assert finished.status_code == 200 and finished.json()["onboarding"]["complete"] is True
    assert http.get("/queue", follow_redirects=False).status_code == 200


def test_a_new_configs_dir_takes_effect_at_once_and_pointing_back_finds_the_old_environments(
    stack: RunningStack, http: httpx.Client, tmp_path: Path
) -> None:
    http.post("/api/configs/environments", json={"name": "at-home", "model_family": "sdxl"}).raise_for_status()
    elsewhere = tmp_path / "team-configs"
    moved = step(http, "configs", configs_dir=str(elsewhere))
    assert moved.status_code == 200, moved.text
    assert moved.json()["workspace"]["configs_dir"] == str(elsewhere.resolve())
    assert "holds none yet" in moved.json()["message"]
    assert moved.json()["onboarding"]["completed_steps"] == ["configs"]
    assert "at-home" not in environment_names(http)
    http.post("/api/configs/environments", json={"name": "away", "model_family": "sdxl"}).raise_for_status()
    assert (elsewhere / "away" / "config.json").is_file()
    assert environment_names(http) == ["away"]

    back = step(http, "configs", configs_dir=str(stack.workspace / "configs"))
    assert back.status_code == 200, back.text
    assert "at-home" in back.json()["message"]
    assert "at-home" in environment_names(http) and "away" not in environment_names(http)


def test_new_datasets_and_output_folders_are_where_new_environments_and_uploads_go(
    http: httpx.Client, tmp_path: Path
) -> None:
    datasets, outputs = tmp_path / "big-disk" / "datasets", tmp_path / "big-disk" / "runs"
    saved = step(http, "folders", datasets_dir=str(datasets), output_dir=str(outputs))
    assert saved.status_code == 200, saved.text
    assert saved.json()["workspace"]["datasets_dir"] == str(datasets.resolve())
    assert http.get("/api/datasets/browse").json()["root"] == str(datasets.resolve())
    created = http.post("/api/configs/environments", json={"name": "on-big-disk", "example": "tiny-demo"})
    assert created.status_code == 201, created.text
    config = http.get("/api/configs/on-big-disk").json()["config"]
    assert config["--output_dir"] == str(outputs.resolve() / "on-big-disk")
    dataloader = http.get("/api/configs/", params={"config_type": "dataloader"}).json()["configs"]
    assert {"name": "on-big-disk/multidatabackend.json", "environment": "on-big-disk"} in dataloader
    assert any((datasets / "on-big-disk").glob("*.png")), "the example's shapes are drawn in the new datasets_dir"
    http.delete("/api/configs/on-big-disk").raise_for_status()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("relative/configs", "must be an absolute path"),
        ("/etc/hostname/configs", "cannot be created"),
        ("/etc/hostname", "is a file, not a folder"),
    ],
)
def test_a_folder_that_cannot_be_used_is_refused_with_what_to_fix(http: httpx.Client, value: str, says: str) -> None:
    before = state(http)["workspace"]
    refused = step(http, "configs", configs_dir=value)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "configs_dir"
    assert says in refused.json()["detail"]
    assert state(http)["workspace"] == before
    assert state(http)["onboarding"]["completed_steps"] == []


def test_the_private_folder_and_a_folder_used_twice_are_refused(stack: RunningStack, http: httpx.Client) -> None:
    private = step(http, "configs", configs_dir=str(stack.workspace / "private" / "configs"))
    assert private.status_code == 400 and "databases and keys" in private.json()["detail"]
    twice = step(http, "folders", datasets_dir=str(stack.workspace / "configs"))
    assert twice.status_code == 400 and "give each its own folder" in twice.json()["detail"], twice.text


def test_a_researcher_may_read_the_state_but_not_change_it(stack: RunningStack, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        assert http.get("/api/webui/state").status_code == 200
        assert step(http, "configs", configs_dir="/tmp/theirs").status_code == 403
        assert http.post("/api/webui/onboarding/reset").status_code == 403
        assert http.post("/api/webui/onboarding/complete").status_code == 403


def test_the_gpu_choice_is_kept_in_the_default_environment(http: httpx.Client) -> None:
    unknown = step(http, "gpus", devices=[7])
    assert unknown.status_code == 400 and unknown.json()["field"] == "devices"
    assert "pick from 0, 1" in unknown.json()["detail"]
    assert step(http, "gpus", devices=[]).status_code == 400
    chosen = step(http, "gpus", devices=[1])
    assert chosen.status_code == 200, chosen.text
    config = http.get("/api/configs/default").json()["config"]
    assert config["--accelerate_visible_devices"] == "1" and config["--num_processes"] == 1
    assert step(http, "gpus", devices=[0, 1]).status_code == 200
    config = http.get("/api/configs/default").json()["config"]
    assert config["--accelerate_visible_devices"] == "0,1" and config["--num_processes"] == 2


def test_environments_using_defaults_inherit_the_gpu_choice_until_they_switch_it_off(http: httpx.Client) -> None:
    assert step(http, "gpus", devices=[0, 1]).status_code == 200
    http.post("/api/configs/environments", json={"name": "inherits", "example": "tiny-demo"}).raise_for_status()
    http.post("/api/configs/inherits/activate").raise_for_status()
    assert http.get("/api/configs/inherits").json()["metadata"]["use_environment_defaults"] is True

    def processes() -> int:
        reply = http.post("/api/training/validate", data={"__active_tab__": "basic"})
        assert reply.status_code == 200, reply.text
        return int(reply.json()["config"]["num_processes"])

    assert processes() == 2
    off = http.patch("/api/configs/inherits", json={"use_environment_defaults": False})
    assert off.status_code == 200, off.text
    assert off.json()["metadata"]["use_environment_defaults"] is False
    assert processes() == 1


def test_the_last_step_creates_the_first_environment_and_completes_onboarding(http: httpx.Client) -> None:
    for step_id in ("configs", "folders", "gpus"):
        assert step(http, step_id, skip=True).status_code == 200
    missing = step(http, "environment", mode="example", example="tiny-demo")
    assert missing.status_code == 422 and missing.json()["field"] == "name"
    created = step(http, "environment", mode="example", name="first-run", example="tiny-demo")
    assert created.status_code == 200, created.text
    assert created.json()["onboarding"]["complete"] is True
    assert http.get("/api/configs/").json()["active"] == "first-run"
    again = step(http, "environment", mode="example", name="first-run", example="tiny-demo")
    assert again.status_code == 409 and again.json()["field"] == "name"


def test_unknown_steps_and_unknown_fields_are_refused(http: httpx.Client) -> None:
    unknown = step(http, "wizard")
    assert unknown.status_code == 404 and "configs, folders, gpus, environment" in unknown.json()["detail"]
    assert step(http, "configs", config_dir="/typo").status_code == 422


def test_reset_starts_onboarding_again_and_keeps_the_folders(http: httpx.Client, tmp_path: Path) -> None:
    assert step(http, "folders", output_dir=str(tmp_path / "outputs")).status_code == 200
    http.post("/api/webui/onboarding/complete").raise_for_status()
    reset = http.post("/api/webui/onboarding/reset")
    assert reset.status_code == 200
    assert reset.json()["onboarding"] | {"steps": None} == {"complete": False, "completed_steps": [], "steps": None}
    assert reset.json()["workspace"]["output_dir"] == str((tmp_path / "outputs").resolve())
