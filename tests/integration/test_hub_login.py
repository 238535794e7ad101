"""Publishing to the Hugging Face Hub through the real stack: each user's own token, checked by a (fake) Hub,
stored encrypted, required by push_to_hub, and used by that user's run to upload — and by nobody else's."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from simpletuner.libs.testing.fake_hub import FakeHub, running_fake_hub
from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)

pytestmark = pytest.mark.slow

ALICE_TOKEN = "hf_alice_write_token_0123456789"
BOB_TOKEN = "hf_bob_write_token_0123456789"
RUN_SECONDS = 240


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHub]:
    tokens = {ALICE_TOKEN: "alice-hf", BOB_TOKEN: "bob-hf"}
    with running_fake_hub(tmp_path_factory.mktemp("hub"), tokens, orgs={"alice-hf": ["alice-lab"]}) as running:
        yield running


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None], hub: FakeHub
) -> Iterator[RunningStack]:
    env = database_env(new_database()) | {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0"}
    with running_stack(tmp_path_factory.mktemp("workspace"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> Account:
    account = create_first_admin(stack)
    with stack.http(headers=account.headers) as http:
        http.post("/api/configs/environments", json={"name": "demo", "example": "tiny-demo"}).raise_for_status()
        http.post("/api/configs/demo/activate").raise_for_status()
    return account


@pytest.fixture(scope="module")
def researcher(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "researcher", ["researcher"])


def form(**options: Any) -> dict[str, tuple[None, str]]:
    return {f"--{name}": (None, str(value)) for name, value in options.items()}


def hub_errors(http: httpx.Client, **options: Any) -> list[str]:
    reply = http.post("/api/training/validate", files=form(**options))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return [e["message"] for e in body.get("errors", []) if e["field"] in ("push_to_hub", "hub_model_id")]


def test_a_token_is_checked_with_the_hub_saved_encrypted_and_forgotten(
    stack: RunningStack, admin: Account, hub: FakeHub
) -> None:
    with stack.http(headers=admin.headers) as http:
        assert http.get("/api/publishing/token").json()["saved"] is False
        refused = http.post("/api/publishing/token/save", json={"token": "hf_not_a_real_token"})
        assert refused.status_code == 400 and "refused this token" in refused.json()["detail"]
        checked = http.post("/api/publishing/token/validate", json={"token": ALICE_TOKEN}).json()
        assert checked == {
            "valid": True,
            "username": "alice-hf",
            "namespaces": ["alice-hf", "alice-lab"],
            "can_write": True,
        }
        assert http.get("/api/publishing/token").json()["saved"] is False  # validating saves nothing
        saved = http.post("/api/publishing/token/save", json={"token": ALICE_TOKEN}).json()
        assert saved["success"] and saved["saved"] and saved["username"] == "alice-hf"
        assert http.get("/api/publishing/namespaces").json()["namespaces"] == ["alice-hf", "alice-lab"]
        assert ALICE_TOKEN not in http.get("/api/publishing/token").text
        stored = stored_tokens(stack)
        assert stored and all(ALICE_TOKEN not in value for value in stored)  # encrypted at rest

        own = http.post("/api/publishing/repository/check", json={"repo_id": "tiny-lora"}).json()
        assert own == {
            "repo_id": "alice-hf/tiny-lora",
            "exists": False,
            "private": None,
            "can_write": True,
            "message": "the first upload creates it",
        }
        foreign = http.post("/api/publishing/repository/check", json={"repo_id": "someone-else/model"}).json()
        assert foreign["can_write"] is False and "cannot create it under someone-else" in foreign["message"]

        assert http.post("/api/publishing/token/logout").json() == {"success": True}
        assert http.get("/api/publishing/token").json()["saved"] is False
        assert stored_tokens(stack) == []
        assert http.post("/api/publishing/repository/check", json={"repo_id": "x"}).status_code == 400


def stored_tokens(stack: RunningStack) -> list[str]:
    """What the auth service's table holds for Hub tokens."""
    url = stack.database_url or f"sqlite:///{stack.workspace / 'private' / 'db' / 'auth.db'}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT token_encrypted FROM auth_hub_logins"))]
    finally:
        engine.dispose()


def test_push_to_hub_needs_a_repository_and_the_callers_own_saved_token(
    stack: RunningStack, admin: Account, researcher: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/publishing/token/save", json={"token": ALICE_TOKEN}).raise_for_status()
        assert hub_errors(http, push_to_hub="true", hub_model_id="tiny-lora") == []
        assert any(
            "hub_model_id" in message or "repository" in message for message in hub_errors(http, push_to_hub="true")
        )
    with stack.http(headers=researcher.headers) as http:  # the admin's token is the admin's alone
        missing = hub_errors(http, push_to_hub="true", hub_model_id="tiny-lora")
        assert missing and "no Hugging Face Hub token saved" in missing[0]
        http.post("/api/publishing/token/save", json={"token": BOB_TOKEN}).raise_for_status()
        assert hub_errors(http, push_to_hub="true", hub_model_id="tiny-lora") == []


def test_a_run_uploads_its_model_and_checkpoints_with_its_owners_token(
    stack: RunningStack, admin: Account, hub: FakeHub
) -> None:
    with stack.http(headers=admin.headers, timeout=RUN_SECONDS) as http:
        http.post("/api/publishing/token/save", json={"token": ALICE_TOKEN}).raise_for_status()
        options = {
            "max_train_steps": 2,
            "checkpointing_steps": 1,
            "validation_steps": 1000,
            "push_to_hub": "true",
            "push_checkpoints_to_hub": "true",
            "hub_model_id": "alice-lab/tiny-lora",
        }
        reply = http.post("/api/training/start", files=form(**options))
        assert reply.status_code == 200, reply.text
        job_id = reply.json()["job_id"]
        status = wait_for_end(http, job_id)
        events = http.get("/api/training/events", params={"job_id": job_id, "since_index": 0}).json()["events"]
    assert status["status"] == "completed", status
    repo = hub.repos["alice-lab/tiny-lora"]
    assert repo.private  # model_card_private defaults to a private repository
    assert "README.md" in repo.files and any(path.endswith(".safetensors") for path in repo.files)
    assert any(path.startswith("checkpoint-1/") for path in repo.files)
    logs = " ".join(str(event.get("message", "")) for event in events)
    assert "alice-lab/tiny-lora" in logs and ALICE_TOKEN not in logs
    run_files = (stack.workspace / "private" / "runs" / job_id).rglob("*")
    assert not any(ALICE_TOKEN in path.read_text(errors="replace") for path in run_files if path.is_file())


def wait_for_end(http: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_SECONDS
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = http.get("/api/training/status", params={"job_id": job_id}).json()
        if status["status"] in ("completed", "failed", "cancelled", "stopped"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not end: {status}")


def test_a_worker_that_claims_a_publishing_job_gets_its_owners_token_and_only_then(
    stack: RunningStack, admin: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/publishing/token/save", json={"token": ALICE_TOKEN}).raise_for_status()
        for name in ("publish", "plain"):
            http.post("/api/configs/environments", json={"name": name, "example": "tiny-demo"}).raise_for_status()
        config = http.get("/api/configs/publish").json()["config"]
        config |= {"--push_to_hub": True, "--hub_model_id": "tiny-lora"}
        http.put("/api/configs/publish", json={"config": config}).raise_for_status()
        worker = http.post("/api/admin/workers", json={"name": "hub-box"}).json()
        for name, expected in (("publish", ALICE_TOKEN), ("plain", None)):
            submitted = http.post("/api/queue/submit", json={"config_name": name, "target": "worker"})
            assert submitted.status_code == 200, submitted.text
            job_id = submitted.json()["job_id"]
            with stack.http(headers={"X-Worker-Token": worker["token"]}) as agent:
                agent.post("/api/workers/register", json={"gpu_count": 1}).raise_for_status()
                claimed = agent.post("/api/workers/claim", json={}).json()
                assert claimed["job"]["job_id"] == job_id and claimed["hub_token"] == expected
                ended = {"status": "completed", "attempt": 1}
                agent.post(f"/api/workers/job/{job_id}/status", json=ended).raise_for_status()
