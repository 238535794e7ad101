"""Environments over HTTP: the seeds' PixArt walk-through, exact round trips, owners, rules, renames and copies
that take their paths along, starting from the default environment, and audit (in the log and on the bus)."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import nats

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams, subjects
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

PIXART = {
    "name": "pixart-api-demo",
    "model_family": "pixart_sigma",
    "model_flavour": "900M-1024-v0.6",
    "model_type": "full",
    "description": "PixArt 900M API-driven training",
}


def test_the_seeds_pixart_walkthrough_works(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        created = http.post("/api/configs/environments", json=PIXART)
        assert created.status_code == 201, created.text
        assert created.json()["config"]["--model_family"] == "pixart_sigma"
        assert created.json()["dataloader"]["path"] == "pixart-api-demo/multidatabackend.json"
        folder = stack.workspace / "configs" / "pixart-api-demo"
        assert json.loads((folder / "multidatabackend.json").read_text())[1]["dataset_type"] == "text_embeds"

        current = http.get("/api/configs/pixart-api-demo").json()
        config = current["config"] | {
            "--learning_rate": 0.0001,
            "--base_model_precision": "bf16",
            "--max_train_steps": 1800,
            "--num_train_epochs": 0,
            "--validation_resolution": "1024x1024",
            "--data_backend_config": "pixart-api-demo/multidatabackend.json",
        }
        update = {"name": "pixart-api-demo", "description": "PixArt 900M full tune (API)", "tags": ["pixart", "api"]}
        saved = http.put("/api/configs/pixart-api-demo", json=update | {"config": config})
        assert saved.status_code == 200, saved.text
        assert saved.json()["metadata"]["tags"] == ["pixart", "api"]
        assert http.post("/api/configs/pixart-api-demo/activate").json()["active"] == "pixart-api-demo"
        active = http.get("/api/configs/active").json()
        assert active["name"] == "pixart-api-demo" and active["config"]["--max_train_steps"] == 1800
        listed = http.get("/api/configs/").json()
        assert listed["active"] == "pixart-api-demo" and "pixart-api-demo" in [c["name"] for c in listed["configs"]]
        loaders = http.get("/api/configs/", params={"config_type": "dataloader"}).json()["configs"]
        assert {"name": "pixart-api-demo/multidatabackend.json", "environment": "pixart-api-demo"} in loaders


def test_keys_and_number_spelling_survive_a_put_and_unknown_keys_warn(stack: RunningStack, admin: Account) -> None:
    body = '{"config": {"--learning_rate": 1e-4, "lr_warmup_steps": 500, "my_custom_flag": 2.50}}'
    with stack.http(headers={**admin.headers, "Content-Type": "application/json"}) as http:
        http.post("/api/configs/environments", json={"name": "exact", "model_family": "sdxl"}).raise_for_status()
        saved = http.put("/api/configs/exact", content=body)
        assert saved.status_code == 200
        assert saved.json()["validation"]["warnings"] == ["unknown option my_custom_flag kept as written"]
        raw = http.get("/api/configs/exact").text
    written = (stack.workspace / "configs" / "exact" / "config.json").read_text()
    for text in (raw, written):
        assert (
            '"--learning_rate": 1e-4' in text and '"my_custom_flag": 2.50' in text and '"lr_warmup_steps": 500' in text
        )


def test_bad_names_and_families_are_refused_with_the_fix(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        escape = http.post("/api/configs/environments", json={"name": "../outside", "model_family": "sdxl"})
        family = http.post("/api/configs/environments", json={"name": "odd", "model_family": "dalle"})
        missing = http.get("/api/configs/does-not-exist")
    assert escape.status_code == 400 and "not a valid environment name" in escape.json()["detail"]
    assert family.status_code == 400 and "sdxl" in family.json()["detail"]
    assert missing.status_code == 404
    assert not (stack.workspace / "outside").exists()


def test_owners_edit_their_own_and_others_need_the_all_permission(stack: RunningStack, admin: Account) -> None:
    owner = create_account(stack, admin, "olga", ["researcher"])
    other = create_account(stack, admin, "oscar", ["researcher"])
    viewer = create_account(stack, admin, "val", ["researcher"])
    with stack.http(headers=owner.headers) as http:
        assert http.post("/api/configs/environments", json={"name": "olgas", "model_family": "flux"}).status_code == 201
        own = http.put("/api/configs/olgas", json={"config": {"--seed": 1}})
        assert own.status_code == 200
    with stack.http(headers=other.headers) as http:
        assert http.get("/api/configs/olgas").status_code == 200  # config.view reads every environment
        refused = http.put("/api/configs/olgas", json={"config": {"--seed": 2}})
        assert refused.status_code == 403 and "config.edit.all" in refused.json()["detail"]
        assert http.delete("/api/configs/olgas").status_code == 403
        copy = http.post("/api/configs/olgas/copy", json={"target_name": "oscars"})
        assert copy.status_code == 201 and copy.json()["environment"]["owner_id"] == other.user_id
    with stack.http(headers=admin.headers) as http:
        assert http.put("/api/configs/olgas", json={"config": {"--seed": 3}}).status_code == 200
        http.patch(f"/api/users/{viewer.user_id}", json={"level_names": ["viewer"]}).raise_for_status()
    with stack.http() as http:
        http.post("/api/auth/login", json={"username": "val", "password": viewer.password})
        made = http.post("/api/configs/environments", json={"name": "vals", "model_family": "sdxl"})
        assert made.status_code == 403


def test_hook_scripts_need_admin_config(stack: RunningStack, admin: Account) -> None:
    user = create_account(stack, admin, "hank", ["researcher"])
    with stack.http(headers=user.headers) as http:
        http.post("/api/configs/environments", json={"name": "hooks", "model_family": "sdxl"}).raise_for_status()
        refused = http.put("/api/configs/hooks", json={"config": {"--post_checkpoint_script": "/bin/rm"}})
    assert refused.status_code == 403 and "admin.config" in refused.json()["detail"]
    with stack.http(headers=admin.headers) as http:
        assert http.put("/api/configs/hooks", json={"config": {"--post_checkpoint_script": "x.sh"}}).status_code == 200


def test_resource_rules_hide_and_refuse_other_teams_environments(stack: RunningStack, admin: Account) -> None:
    member = create_account(stack, admin, "tara", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        for name in ("team-a-sdxl", "team-b-sdxl"):
            http.post("/api/configs/environments", json={"name": name, "model_family": "sdxl"}).raise_for_status()
        level = http.post("/api/users/levels", json={"name": "team-a-only", "permissions": []}).json()
        rule = {"name": "team a", "resource_type": "config", "pattern": "team-a-*", "level_ids": [level["id"]]}
        http.post("/api/users/resource-rules", json=rule).raise_for_status()
        http.post(f"/api/users/{member.user_id}/levels", json={"level_name": "team-a-only"}).raise_for_status()
    with stack.http(headers=member.headers) as http:
        names = [c["name"] for c in http.get("/api/configs/").json()["configs"]]
        assert "team-a-sdxl" in names and "team-b-sdxl" not in names
        refused = http.get("/api/configs/team-b-sdxl")
        assert refused.status_code == 403 and "team-b-sdxl" in refused.json()["detail"]


def test_parallel_puts_always_leave_one_complete_version(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "busy", "model_family": "sdxl"}).raise_for_status()

    def put(version: int) -> int:
        with stack.http(headers=admin.headers) as client:
            body = {"config": {"--seed": version, "--validation_prompt": "x" * 5000}}
            return client.put("/api/configs/busy", json=body).status_code

    path = stack.workspace / "configs" / "busy" / "config.json"
    with ThreadPoolExecutor(6) as pool:
        results = pool.map(put, range(24))
        seen = [json.loads(path.read_text()) for _ in range(50)]  # each read is one whole version
    assert set(results) == {200}
    for version in seen:
        assert "--model_family" in version or (isinstance(version["--seed"], int) and len(version) == 2)
    assert json.loads(path.read_text())["--seed"] in range(24)


def test_config_changes_are_audited(stack: RunningStack, admin: Account) -> None:
    def events() -> list[dict[str, Any]]:
        with stack.http(headers=admin.headers) as http:
            return list(http.get("/api/audit", params={"event_type": "config."}).json()["events"])

    deadline = time.monotonic() + 10
    while not {"config.created", "config.updated", "config.activated"} <= {e["event_type"] for e in events()}:
        assert time.monotonic() < deadline, [e["event_type"] for e in events()]
        time.sleep(0.2)
    created = [e for e in events() if e["event_type"] == "config.created" and e["target_id"] == "pixart-api-demo"]
    assert created and created[0]["actor_id"] == admin.user_id and created[0]["details"]["model_type"] == "full"


# rename and copy


def _ready_environment(http: httpx.Client, name: str) -> None:
    """A starter environment that validates: its own dataloader file, a base model, an output folder."""
    http.post("/api/configs/environments", json={"name": name, "model_family": "sdxl"}).raise_for_status()
    config = http.get(f"/api/configs/{name}").json()["config"] | {"--pretrained_model_name_or_path": "sdxl-base"}
    http.put(f"/api/configs/{name}", json={"config": config}).raise_for_status()


def _validate_active(http: httpx.Client) -> dict[str, Any]:
    reply = http.post("/api/training/validate", files={"__active_tab__": (None, "model")})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_a_renamed_environment_validates_and_stays_active_for_everyone(stack: RunningStack, admin: Account) -> None:
    other = create_account(stack, admin, "rhea", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        _ready_environment(http, "before")
        http.post("/api/configs/before/activate").raise_for_status()
    with stack.http(headers=other.headers) as http:
        http.post("/api/configs/before/activate").raise_for_status()
    with stack.http(headers=admin.headers) as http:
        renamed = http.post("/api/configs/before/rename", json={"new_name": "after"})
        assert renamed.status_code == 200, renamed.text
        config = http.get("/api/configs/after").json()["config"]
        mine = _validate_active(http)
    with stack.http(headers=other.headers) as http:
        theirs = _validate_active(http)
    assert config["--data_backend_config"] == "after/multidatabackend.json" and config["--output_dir"] == "output/after"
    assert mine["environment"] == theirs["environment"] == "after"
    assert mine["valid"] is True, mine["errors"]
    assert not (stack.workspace / "configs" / "before").exists()


def test_a_copy_validates_on_its_own_files_once_the_source_is_gone(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        _ready_environment(http, "original")
        copied = http.post("/api/configs/original/copy", json={"target_name": "duplicate"})
        assert copied.status_code == 201, copied.text
        http.post("/api/configs/duplicate/activate").raise_for_status()
        assert http.delete("/api/configs/original").status_code == 200
        checked = _validate_active(http)
    assert checked["environment"] == "duplicate" and checked["valid"] is True, checked["errors"]
    assert checked["config"]["data_backend_config"] == "duplicate/multidatabackend.json"
    assert checked["config"]["output_dir"] == "output/duplicate"
    assert (stack.workspace / "configs" / "duplicate" / "multidatabackend.json").is_file()


# audit on the bus


async def _published(stack: RunningStack, category: str) -> list[auth_pb2.AuditEvent]:
    """Every audit entry of `category` the SIMPLETUNER_AUDIT stream holds, from its start."""
    client = await nats.connect(stack.state["nats_url"])
    try:
        subject = subjects.AUDIT.render(category=category)
        sub = await client.jetstream().subscribe(subject, stream=streams.AUDIT.name, ordered_consumer=True)
        found = []
        while True:
            try:
                message = await sub.next_msg(timeout=1)
            except TimeoutError:
                return found
            found.append(events_pb2.Event.FromString(message.data).audit_recorded.entry)
    finally:
        await client.close()


def test_config_and_dataset_changes_are_published_on_the_audit_stream(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "on-bus", "model_family": "sdxl"}).raise_for_status()
        http.put("/api/configs/on-bus", json={"config": {"--seed": 5}}).raise_for_status()
        http.post("/api/configs/on-bus/rename", json={"new_name": "on-bus-2"}).raise_for_status()
        http.delete("/api/configs/on-bus-2").raise_for_status()
        http.post("/api/datasets/folders", data={"parent_path": "", "folder_name": "bus-photos"}).raise_for_status()
        files = [("files", ("a.txt", b"a caption", "text/plain"))]
        http.post("/api/datasets/upload", data={"target_path": "bus-photos"}, files=files).raise_for_status()
    wanted = {
        ("config.created", "on-bus"),
        ("config.updated", "on-bus"),
        ("config.renamed", "on-bus-2"),
        ("config.deleted", "on-bus-2"),
        ("dataset.folder_created", "bus-photos"),
        ("dataset.uploaded", "bus-photos"),
    }
    deadline = time.monotonic() + 20  # the auth service publishes its outbox in the background
    while True:
        entries = [entry for category in ("config", "dataset") for entry in asyncio.run(_published(stack, category))]
        seen = {(entry.event_type, entry.target_id) for entry in entries}
        if wanted <= seen or time.monotonic() > deadline:
            break
    assert wanted <= seen, sorted(wanted - seen)
    assert all(entry.event_type.split(".")[0] in ("config", "dataset") for entry in entries)


# the default environment (last: once it exists, every environment made afterwards starts from it)


def test_a_new_environment_starts_from_the_default_environments_values(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "default", "model_family": "sdxl"}).raise_for_status()
        defaults = http.get("/api/configs/default").json()["config"] | {"--lora_rank": 48, "--learning_rate": 3e-5}
        http.put("/api/configs/default", json={"config": defaults}).raise_for_status()
        created = http.post("/api/configs/environments", json={"name": "inherits", "model_family": "flux"})
    assert created.status_code == 201, created.text
    config = created.json()["config"]
    assert config["--lora_rank"] == 48 and config["--learning_rate"] == 3e-5  # from the default environment
    assert config["--model_family"] == "flux"  # what the request chose wins
    assert config["--output_dir"] == "output/inherits"
    assert config["--data_backend_config"] == "inherits/multidatabackend.json"
