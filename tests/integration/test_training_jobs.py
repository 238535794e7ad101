"""Training jobs through the real stack: start from the seeds' form fields, watch live, steer, stop, lose nothing."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from simpletuner.libs.net import free_port
from simpletuner.libs.testing.sse import EventStream, Frame
from simpletuner.libs.testing.sse import frames as sse_frames
from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)

pytestmark = pytest.mark.slow

ENDED = ("completed", "failed", "cancelled", "stopped")
RUN_SECONDS = 240  # a tiny run on a busy 2-core machine: start-up (imports, tiny model, caches) dominates


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]) -> Iterator[RunningStack]:
    env = database_env(new_database()) | {
        "SIMPLETUNER_SSE_HEARTBEAT_SECONDS": "1",
        "SIMPLETUNER_TRAINER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the test's receiver is on loopback
    }
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
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], dict[str, Any]]]]]:
    """A local webhook receiver: its URL and every (headers, JSON body) it was sent."""
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def form(**options: Any) -> dict[str, tuple[None, str]]:
    """`-F --name=value` fields as curl sends them."""
    return {f"--{name}": (None, str(value)) for name, value in options.items()}


def start(http: httpx.Client, **options: Any) -> str:
    reply = http.post("/api/training/start", files=form(**({"validation_steps": 1000} | options)))
    assert reply.status_code == 200, reply.text
    return str(reply.json()["job_id"])


def wait_for(
    http: httpx.Client, job_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = RUN_SECONDS
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            reply = http.get("/api/training/status", params={"job_id": job_id})
        except httpx.TransportError:  # a restarted gateway is not listening yet
            time.sleep(0.25)
            continue
        status = reply.json()
        if reply.status_code == 200 and done(status):  # 503 while a restarted service comes back
            return status
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} never got there: {status}")


def ended(status: dict[str, Any]) -> bool:
    return status["status"] in ENDED


def at_step(step: int) -> Callable[[dict[str, Any]], bool]:
    return lambda status: ended(status) or (status["progress"] or {}).get("step", 0) >= step


def all_events(http: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    return list(http.get("/api/training/events", params={"job_id": job_id, "since_index": 0}).json()["events"])


def progress_steps(events: list[dict[str, Any]]) -> list[int]:
    return [event["step"] for event in events if event["type"] == "training.progress"]


def run_pid(stack: RunningStack, job_id: str) -> int:
    """The training process of a job (found by its run folder on the command line)."""
    run_dir = str(stack.workspace / "private" / "runs" / job_id)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if run_dir in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    return int(entry.name)
            except OSError:
                continue
    raise AssertionError(f"no process runs {run_dir}")


def test_no_run_yet_is_idle_and_steering_it_is_a_bad_request(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        assert http.get("/api/training/status").json()["status"] == "idle"
        assert http.get("/api/training/events").json() == {"events": [], "job_id": None, "next_index": 0}
        for path in ("/api/training/validation/run", "/api/training/checkpoint/run", "/api/training/stop"):
            assert http.post(path).status_code == 400, path


def test_a_bad_config_cannot_start_and_says_what_to_fix(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        reply = http.post("/api/training/start", files=form(max_train_steps=5, num_train_epochs=3))
    assert reply.status_code == 400
    assert reply.json()["message"] == "Cannot Start Training"
    assert any(error["field"] == "max_train_steps" for error in reply.json()["errors"])


def test_a_run_completes_with_one_progress_event_per_step_live_replayed_and_sent_to_webhooks(
    stack: RunningStack, admin: Account, receiver: tuple[str, list[tuple[dict[str, str], dict[str, Any]]]]
) -> None:
    url, received = receiver
    hooks = json.dumps([{"webhook_type": "raw", "callback_url": url, "log_level": "info"}])
    with stack.http(headers=admin.headers, timeout=RUN_SECONDS) as http:
        job_id = start(
            http,
            max_train_steps=4,
            checkpointing_steps=2,
            validation_steps=3,
            webhook_config=hooks,
            webhook_reporting_interval=2,
        )
        with http.stream("GET", "/api/training/events/stream", params={"job_id": job_id}) as response:
            assert response.headers["x-accel-buffering"] == "no"
            live = EventStream(response).read_until(
                lambda seen: any(f.event == "training.status" and f.data["data"]["status"] in ENDED for f in seen),
                timeout=RUN_SECONDS,
            )
        status = wait_for(http, job_id, ended)
        assert status["status"] == "completed", status
        assert status["progress"]["step"] == 4 and status["progress"]["percent"] == 100.0
        assert status["startup_progress"]["init_vae_cache"]["status"] == "completed"
        page = http.get("/api/training/events", params={"job_id": job_id, "since_index": 0}).json()
        checkpoints = http.get("/api/training/checkpoints", params={"job_id": job_id}).json()
    ids = [int(frame.id) for frame in live]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert progress_steps([frame.data for frame in live]) == [1, 2, 3, 4]
    assert [event["index"] for event in page["events"]][: len(ids)] == ids
    assert page["next_index"] == page["events"][-1]["index"]
    images = [frame.data for frame in live if frame.event == "validation.image"]
    assert images and images[0]["images"][0]["src"].startswith("data:image/png;base64,")
    assert set(images[0]["data"]) >= {"step", "timestep", "resolution", "validation_type", "prompt", "step_label"}
    assert [c["name"] for c in checkpoints["checkpoints"]] == ["checkpoint-2"]
    deadline = time.monotonic() + 30
    while not any(body["type"] == "training.status" and body["data"]["status"] == "completed" for _, body in received):
        assert time.monotonic() < deadline, f"no completed status reached the webhook: {received}"
        time.sleep(0.2)
    assert [body["step"] for _, body in received if body["type"] == "training.progress"] == [2, 4]
    assert all(headers["X-Event-Id"] == body["id"] for headers, body in received)


def test_a_client_that_reconnects_with_last_event_id_gets_exactly_what_it_missed(
    stack: RunningStack, admin: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        job_id = http.get("/api/training/runs").json()["runs"][0]["job_id"]  # the completed run above
        stored = all_events(http, job_id)
        middle = stored[len(stored) // 2]["index"]
        headers = {"Last-Event-ID": str(middle)}
        with http.stream("GET", "/api/training/events/stream", params={"job_id": job_id}, headers=headers) as response:
            rest = EventStream(response).read_until(lambda seen: len(seen) >= len(stored) - len(stored) // 2 - 1)
    assert [int(frame.id) for frame in rest] == [event["index"] for event in stored if event["index"] > middle]


def test_kill_9_is_reported_failed_with_the_log_tail_and_resume_continues_from_the_checkpoint(
    stack: RunningStack, admin: Account
) -> None:
    with stack.http(headers=admin.headers, timeout=30) as http:
        job_id = start(http, max_train_steps=400, checkpointing_steps=2, resume_from_checkpoint="")
        wait_for(http, job_id, at_step(3))
        os.kill(run_pid(stack, job_id), signal.SIGKILL)
        killed_at = time.monotonic()
        failed = wait_for(http, job_id, ended, timeout=30)
        reported_after = time.monotonic() - killed_at
        assert failed["status"] == "failed"
        assert "SIGKILL" in failed["job_info"]["error"]
        assert failed["job_info"]["log_tail"]  # the last lines the process wrote come with the failure
        assert reported_after < 10, reported_after
        latest = http.get("/api/training/checkpoints", params={"job_id": job_id}).json()["checkpoints"][0]
        resumed = start(
            http, max_train_steps=latest["step"] + 3, checkpointing_steps=1000, resume_from_checkpoint="latest"
        )
        assert wait_for(http, resumed, ended)["status"] == "completed"
        steps = progress_steps(all_events(http, resumed))
    assert steps == list(range(latest["step"] + 1, latest["step"] + 4))


def test_validate_and_checkpoint_now_then_a_graceful_stop(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers, timeout=30) as http:
        job_id = start(http, max_train_steps=2000, checkpointing_steps=1000, resume_from_checkpoint="")
        wait_for(http, job_id, at_step(1))
        assert http.post("/api/training/checkpoint/run", json={"job_id": job_id}).json()["job_id"] == job_id
        assert http.post("/api/training/validation/run").json()["job_id"] == job_id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            types = {event["type"] for event in all_events(http, job_id)}
            if {"training.checkpoint", "validation.image"} <= types:
                break
            time.sleep(0.5)
        assert {"training.checkpoint", "validation.image"} <= types
        assert http.post("/api/training/stop").json()["job_id"] == job_id
        stopped = wait_for(http, job_id, ended, timeout=60)
        assert stopped["status"] == "stopped"
        saved = http.get("/api/training/checkpoints", params={"job_id": job_id}).json()["checkpoints"]
        last_saved = [e for e in all_events(http, job_id) if e["type"] == "training.checkpoint"][-1]
    # the stop saved where it stopped (the folder also holds earlier runs' checkpoints, some perhaps later)
    assert last_saved["checkpoint"]["step"] == stopped["progress"]["step"]
    assert stopped["progress"]["step"] in {checkpoint["step"] for checkpoint in saved}


def test_a_trainer_restart_re_adopts_the_run_and_cancel_kills_it(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers, timeout=30) as http:
        job_id = start(http, max_train_steps=2000, checkpointing_steps=1000, resume_from_checkpoint="")
        wait_for(http, job_id, at_step(1))
        trainer_pid = stack.state["pids"]["trainer"]
        os.kill(trainer_pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while stack.state["pids"]["trainer"] == trainer_pid and time.monotonic() < deadline:
            time.sleep(0.25)
        before = wait_for(http, job_id, lambda s: s["status"] == "running", timeout=60)["progress"]["step"]
        wait_for(http, job_id, at_step(before + 1), timeout=60)  # still followed: progress keeps arriving
        pid = run_pid(stack, job_id)
        cancelled = http.post("/api/training/cancel", data={"job_id": job_id})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def wait_for_restart(stack: RunningStack, name: str, old_pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while stack.state["pids"].get(name) in (None, old_pid):
        assert time.monotonic() < deadline, f"{name} was not restarted"
        time.sleep(0.1)


def test_a_nats_restart_mid_run_loses_no_step_event(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers, timeout=30) as http:
        job_id = start(http, max_train_steps=40, checkpointing_steps=1000, resume_from_checkpoint="")
        wait_for(http, job_id, at_step(2))
        nats_pid = stack.state["pids"]["nats"]
        os.kill(nats_pid, signal.SIGKILL)
        wait_for_restart(stack, "nats", nats_pid)
        assert wait_for(http, job_id, ended)["status"] == "completed"
        deadline = time.monotonic() + 60  # the run's publisher and the trainer's replay catch up after the outage
        while (steps := progress_steps(all_events(http, job_id))) != list(range(1, 41)):
            assert time.monotonic() < deadline, steps
            time.sleep(0.5)


def follow(stack: RunningStack, admin: Account, job_id: str, seen: list[int], stop: threading.Event) -> None:
    """An SSE client that reconnects with Last-Event-ID whenever the connection drops, until told to stop."""
    while not stop.is_set():
        headers = {**admin.headers, **({"Last-Event-ID": str(seen[-1])} if seen else {})}
        try:
            with (
                httpx.Client(base_url=stack.url, timeout=httpx.Timeout(10, read=15)) as http,
                http.stream("GET", "/api/training/events/stream", params={"job_id": job_id}, headers=headers) as reply,
            ):
                for item in sse_frames(reply) if reply.status_code == 200 else ():
                    if isinstance(item, Frame):
                        seen.append(int(item.id))
                    if stop.is_set():
                        return
        except httpx.HTTPError:
            pass  # the gateway is restarting
        time.sleep(0.2)


def test_three_sse_clients_survive_a_gateway_restart_without_a_gap(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers, timeout=30) as http:
        job_id = start(http, max_train_steps=40, checkpointing_steps=1000, resume_from_checkpoint="")
        clients = [[] for _ in range(3)]
        stop = threading.Event()
        threads = [
            threading.Thread(target=follow, args=(stack, admin, job_id, seen, stop), daemon=True) for seen in clients
        ]
        for thread in threads:
            thread.start()
        wait_for(http, job_id, at_step(3))
        gateway_pid = stack.state["pids"]["gateway"]
        os.kill(gateway_pid, signal.SIGKILL)
        wait_for_restart(stack, "gateway", gateway_pid)
        assert wait_for(http, job_id, ended)["status"] == "completed"
        stored = [event["index"] for event in all_events(http, job_id)]
        deadline = time.monotonic() + 30
        while any(seen[-1:] != stored[-1:] for seen in clients) and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
    for seen in clients:
        assert seen == stored


def test_the_inline_run_needs_no_environment_and_stays_private_to_its_owner(
    stack: RunningStack, admin: Account
) -> None:
    researcher = create_account(stack, admin, "rhea", ["researcher"])
    viewer = create_account(stack, admin, "vic", ["viewer"])
    inline = {  # the seeds' "Ruta rápida": every required option in the form, no environment active
        "model_family": "sd1x",
        "model_type": "lora",
        "pretrained_model_name_or_path": "simpletuner/tiny-sd1x",
        "output_dir": "output/inline-demo",
        "data_backend_config": "demo/multidatabackend.json",
        "resolution": 64,
        "train_batch_size": 1,
        "learning_rate": "1e-4",
        "max_train_steps": 2,
        "num_train_epochs": 0,
        "mixed_precision": "no",
    }
    with stack.http(headers=researcher.headers, timeout=30) as http:
        refused = http.post("/api/training/start", files=form(**inline, post_checkpoint_script="/bin/true"))
        assert refused.status_code == 400
        assert any("admin.config" in error["message"] for error in refused.json()["errors"])
        job_id = start(http, **inline)
        done = wait_for(http, job_id, ended)
    assert done["status"] == "completed", done
    assert done["job_info"]["environment"] is None and done["job_info"]["owner"] == "rhea"
    with stack.http() as http:  # viewers make no API keys: a signed-in session
        http.post("/api/auth/login", json={"username": viewer.username, "password": viewer.password}).raise_for_status()
        assert http.get("/api/training/status", params={"job_id": job_id}).status_code == 404  # not theirs
        assert http.post("/api/training/start", files=form(**inline)).status_code == 403  # viewers cannot submit
    with stack.http(headers=admin.headers) as http:
        assert http.get("/api/training/status", params={"job_id": job_id}).json()["job_info"]["owner"] == "rhea"
