"""Dataloader files over HTTP: read, replaced whole once every entry passes (refusals name the entry and key
and write nothing), atomic and audited, retried and raced safely, and only by whom the environment rules allow."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from simpletuner.libs.testing.stack import Account, RunningStack, create_account


@pytest.fixture(scope="module")
def researcher(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "dora", ["researcher"])


def new_environment(http: httpx.Client, name: str, **extra: Any) -> None:
    reply = http.post("/api/configs/environments", json={"name": name, "example": "tiny-demo", **extra})
    assert reply.status_code == 201, reply.text


def file_of(stack: RunningStack, environment: str, file: str = "multidatabackend.json") -> Path:
    return stack.workspace / "configs" / environment / file


def image_entry(folder: Path, dataset_id: str = "cats", **extra: Any) -> dict[str, Any]:
    return {
        "id": dataset_id,
        "type": "local",
        "dataset_type": "image",
        "instance_data_dir": str(folder),
        "caption_strategy": "textfile",
        **extra,
    }


def test_an_example_environments_dataloader_reads_back_as_stored(stack: RunningStack, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-read")
        reply = http.get("/api/configs/dl-read/dataloader")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    on_disk = json.loads(file_of(stack, "dl-read").read_text())
    assert body["environment"] == "dl-read" and body["path"] == "dl-read/multidatabackend.json"
    assert body["absolute_path"] == str(file_of(stack, "dl-read").resolve())
    assert body["exists"] is True and body["errors"] == [] and body["datasets"] == on_disk
    assert [entry["dataset_type"] for entry in body["datasets"]] == ["image", "text_embeds"]
    assert len(body["etag"]) == 32


def test_a_valid_list_is_written_exactly_and_audited(stack: RunningStack, admin: Account, researcher: Account) -> None:
    folder = stack.workspace / "datasets" / "dl-cats"
    folder.mkdir(parents=True)
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-write")
        current = http.get("/api/configs/dl-write/dataloader").json()["datasets"]
        text = json.dumps({"datasets": [*current, image_entry(folder, resolution=512)]})
        body = text.replace('"resolution": 512', '"resolution": 5.12e2')  # as a hand-edited file may spell it
        saved = http.put("/api/configs/dl-write/dataloader", content=body, headers={"Content-Type": "application/json"})
        assert saved.status_code == 200, saved.text
        again = http.get("/api/configs/dl-write/dataloader").json()
    assert saved.json()["path"] == "dl-write/multidatabackend.json" and saved.json()["warnings"] == []
    assert [entry["id"] for entry in again["datasets"]] == ["tiny-demo-shapes", "tiny-demo-text-embeds", "cats"]
    assert "5.12e2" in file_of(stack, "dl-write").read_text()  # numbers keep their spelling
    assert again["etag"] == saved.json()["etag"]
    leftovers = [p.name for p in file_of(stack, "dl-write").parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []  # written beside the file, then renamed over it

    deadline = time.monotonic() + 10
    while True:
        with stack.http(headers=admin.headers) as http:
            events = http.get("/api/audit", params={"event_type": "config.dataloader_updated"}).json()["events"]
        mine = [e for e in events if e["target_id"] == "dl-write"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert mine and mine[0]["actor_id"] == researcher.user_id
    assert mine[0]["details"]["datasets"] == ["tiny-demo-shapes", "tiny-demo-text-embeds", "cats"]


def test_refusals_name_each_entry_and_key_and_write_nothing(stack: RunningStack, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-refuse")
        before = file_of(stack, "dl-refuse").read_bytes()
        current = http.get("/api/configs/dl-refuse/dataloader").json()["datasets"]
        broken = [
            *current,
            {"id": "bad-crop", "type": "local", "instance_data_dir": "/tmp", "crop_style": "sideways", "repeats": -1},
            {"id": "no-folder", "type": "local", "caption_strategy": "instanceprompt"},
        ]
        refused = http.put("/api/configs/dl-refuse/dataloader", json={"datasets": broken})
        not_a_list = http.put("/api/configs/dl-refuse/dataloader", json={"datasets": {"id": "x"}})
        empty = http.put("/api/configs/dl-refuse/dataloader", json={"datasets": []})
    assert refused.status_code == 400, refused.text
    errors = {error["field"]: error for error in refused.json()["errors"]}
    assert set(errors) == {
        "datasets[2].crop_style",
        "datasets[2].repeats",
        "datasets[3].instance_data_dir",
        "datasets[3].instance_prompt",
    }
    crop = errors["datasets[2].crop_style"]
    assert (crop["index"], crop["dataset_id"], crop["key"]) == (2, "bad-crop", "crop_style")
    assert "'sideways' is not one of" in crop["message"] and "Pick one of those values" in crop["message"]
    assert "trigger phrase" in errors["datasets[3].instance_prompt"]["message"]
    assert refused.json()["detail"] == "nothing was written: 4 problems to fix first"
    assert not_a_list.status_code == 422 and "`datasets`" in not_a_list.json()["detail"]
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "datasets"
    assert file_of(stack, "dl-refuse").read_bytes() == before


def test_what_this_trainer_cannot_run_is_refused_unless_disabled(stack: RunningStack, researcher: Account) -> None:
    cloud = {"id": "s3", "type": "aws", "instance_data_dir": "bucket/cats"}
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-cloud")
        current = http.get("/api/configs/dl-cloud/dataloader").json()["datasets"]
        refused = http.put("/api/configs/dl-cloud/dataloader", json={"datasets": [*current, cloud]})
        kept = http.put("/api/configs/dl-cloud/dataloader", json={"datasets": [*current, cloud | {"disabled": True}]})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "datasets[2].type"
    assert "not supported yet" in refused.json()["errors"][0]["message"]
    assert kept.status_code == 200, kept.text


def test_the_default_text_embeds_entry_is_added_when_asked_and_missing(
    stack: RunningStack, researcher: Account
) -> None:
    folder = stack.workspace / "datasets" / "dl-dogs"
    folder.mkdir(parents=True)
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-embeds")
        only_images = [image_entry(folder, "dogs")]
        warned = http.put("/api/configs/dl-embeds/dataloader", json=only_images)  # the bare list is accepted too
        ensured = http.put(
            "/api/configs/dl-embeds/dataloader", json={"datasets": only_images, "ensure_text_embeds": True}
        )
    assert warned.status_code == 200, warned.text
    assert any("no text_embeds entry" in w["message"] for w in warned.json()["warnings"])
    assert ensured.status_code == 200, ensured.text
    assert ensured.json()["datasets"][1] == {
        "id": "dl-embeds-text-embeds",
        "type": "local",
        "dataset_type": "text_embeds",
        "default": True,
        "cache_dir": "cache/text/dl-embeds",
    }
    assert ensured.json()["warnings"] == []


def test_a_stale_etag_is_refused_and_a_retried_request_is_answered_once(
    stack: RunningStack, admin: Account, researcher: Account
) -> None:
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-race")
        read = http.get("/api/configs/dl-race/dataloader").json()
        changed = [read["datasets"][0] | {"repeats": 3}, *read["datasets"][1:]]
        first = {"datasets": changed, "etag": read["etag"], "request_id": "r-1"}
        saved = http.put("/api/configs/dl-race/dataloader", json=first)
        retried = http.put("/api/configs/dl-race/dataloader", json=first)  # its etag is stale now: a retry
        stale = http.put("/api/configs/dl-race/dataloader", json=first | {"request_id": "r-2"})
        by_header = http.put(
            "/api/configs/dl-race/dataloader", json={"datasets": read["datasets"]}, headers={"If-Match": read["etag"]}
        )
    assert saved.status_code == 200 and saved.json()["replayed"] is False
    assert retried.status_code == 200 and retried.json()["replayed"] is True
    assert retried.json()["etag"] == saved.json()["etag"]
    assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
    assert by_header.status_code == 409
    assert json.loads(file_of(stack, "dl-race").read_text())[0]["repeats"] == 3


def test_viewers_read_but_only_owners_or_config_edit_all_write(
    stack: RunningStack, admin: Account, researcher: Account
) -> None:
    other = create_account(stack, admin, "otto", ["researcher"])
    viewer = create_account(stack, admin, "vera", ["viewer"])
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-owned")
        datasets = http.get("/api/configs/dl-owned/dataloader").json()["datasets"]
    before = file_of(stack, "dl-owned").read_bytes()
    with stack.http(headers={"Sec-Fetch-Site": "same-origin"}) as http:
        http.post("/api/auth/login", json={"username": viewer.username, "password": viewer.password})
        assert http.get("/api/configs/dl-owned/dataloader").status_code == 200
        refused = http.put("/api/configs/dl-owned/dataloader", json={"datasets": datasets})
    assert refused.status_code == 403 and "config.edit.own" in refused.json()["detail"]
    with stack.http(headers=other.headers) as http:
        assert http.get("/api/configs/dl-owned/dataloader").status_code == 200
        not_theirs = http.put("/api/configs/dl-owned/dataloader", json={"datasets": datasets})
    assert not_theirs.status_code == 403 and "config.edit.all" in not_theirs.json()["detail"]
    assert file_of(stack, "dl-owned").read_bytes() == before
    with stack.http(headers=admin.headers) as http:
        assert http.put("/api/configs/dl-owned/dataloader", json={"datasets": datasets}).status_code == 200
        assert http.get("/api/configs/no-such-env/dataloader").status_code == 404


def test_other_files_of_the_environment_and_a_config_naming_none(stack: RunningStack, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        new_environment(http, "dl-files")
        datasets = http.get("/api/configs/dl-files/dataloader").json()["datasets"]
        missing = http.get("/api/configs/dl-files/dataloader", params={"file": "multidatabackend-extra.json"})
        extra = http.put(
            "/api/configs/dl-files/dataloader", json={"datasets": datasets, "file": "multidatabackend-extra.json"}
        )
        outside = http.put("/api/configs/dl-files/dataloader", json={"datasets": datasets, "file": "../config.json"})
        config = http.get("/api/configs/dl-files").json()["config"]
        config.pop("--data_backend_config")
        http.put("/api/configs/dl-files", json={"config": config}).raise_for_status()
        pointed = http.put("/api/configs/dl-files/dataloader", json={"datasets": datasets})
        now = http.get("/api/configs/dl-files").json()["config"]
    assert missing.status_code == 200 and missing.json()["exists"] is False and missing.json()["datasets"] == []
    assert extra.status_code == 200 and extra.json()["path"] == "dl-files/multidatabackend-extra.json"
    reads_other = [w for w in extra.json()["warnings"] if "not this file" in w["message"]]
    assert reads_other and "dl-files/multidatabackend.json" in reads_other[0]["message"]
    assert outside.status_code == 400 and "multidatabackend*.json" in outside.json()["detail"]
    assert pointed.status_code == 200 and pointed.json()["config_updated"] is True
    assert now["--data_backend_config"] == "dl-files/multidatabackend.json"


def test_the_schema_comes_from_the_dataloader_model(stack: RunningStack, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        reply = http.get("/api/datasets/schema")
    assert reply.status_code == 200, reply.text
    fields = {spec["name"]: spec for spec in reply.json()["fields"]}
    assert fields["type"]["required"] is True and fields["type"]["supported"] == ["local"]
    strategy = fields["caption_strategy"]
    assert strategy["default"] == "filename" and {"instanceprompt", "textfile", "filename"} <= set(
        strategy["supported"]
    )
    assert "face" in fields["crop_style"]["choices"] and "face" not in fields["crop_style"]["supported"]
    assert fields["repeats"]["minimum"] == 0 and fields["repeats"]["default"] == 0
    assert fields["resolution"]["exclusive_minimum"] is True and fields["disabled"]["aliases"] == ["disable"]
