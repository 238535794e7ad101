"""Environments over HTTP, the rest of them: export/import, dataloader regeneration, LyCORIS configs, examples."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from simpletuner.libs.options import MODEL_FAMILIES
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

RAW_UPDATE = (
    '{"description": "exchange me", "config": {"--model_family": "sdxl", "--learning_rate": 1e-4, '
    '"my_custom_flag": 2.50, "--data_backend_config": "exchange-src/multidatabackend.json"}}'
)


def raw(http: httpx.Client, method: str, path: str, text: str) -> httpx.Response:
    """Send JSON text as written: httpx's json= would re-spell 1e-4 as 0.0001."""
    return http.request(method, path, content=text, headers={"Content-Type": "application/json"})


def import_body(document: str, **fields: Any) -> str:
    """`{"data": <document verbatim>, ...fields}`."""
    rest = "".join(f", {json.dumps(key)}: {json.dumps(value)}" for key, value in fields.items())
    return '{"data": ' + document + rest + "}"


def test_export_then_import_keeps_numbers_as_written_and_unknown_keys(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        created = http.post("/api/configs/environments", json={"name": "exchange-src", "model_family": "sdxl"})
        assert created.status_code == 201, created.text
        assert raw(http, "PUT", "/api/configs/exchange-src", RAW_UPDATE).status_code == 200

        exported = http.get("/api/configs/exchange-src/export", params={"include_metadata": "true"})
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-disposition"] == 'attachment; filename="exchange-src.json"'
        assert '"--learning_rate": 1e-4' in exported.text and '"my_custom_flag": 2.50' in exported.text
        document = exported.json()
        assert document["_metadata"]["name"] == "exchange-src" and document["_metadata"]["owner_id"] == admin.user_id
        assert document["dataloaders"]["multidatabackend.json"][1]["dataset_type"] == "text_embeds"

        imported = raw(http, "POST", "/api/configs/import", import_body(exported.text, name="exchange-copy"))
        assert imported.status_code == 201, imported.text
        assert imported.json()["environment"]["name"] == "exchange-copy"
        copy = http.get("/api/configs/exchange-copy")
    assert '"--learning_rate": 1e-4' in copy.text and '"my_custom_flag": 2.50' in copy.text
    assert copy.json()["metadata"]["unknown_keys"] == ["my_custom_flag"]
    assert copy.json()["metadata"]["description"] == "exchange me"
    assert copy.json()["metadata"]["owner_id"] == admin.user_id
    # the copy reads its own dataloader, not the source's
    assert copy.json()["config"]["--data_backend_config"] == "exchange-copy/multidatabackend.json"
    folder = stack.workspace / "configs" / "exchange-copy"
    assert '"--learning_rate": 1e-4' in (folder / "config.json").read_text()
    assert (folder / "multidatabackend.json").is_file()


def test_importing_over_an_existing_name_needs_overwrite(stack: RunningStack, admin: Account) -> None:
    document = '{"config": {"--model_family": "flux", "--seed": 1}, "dataloaders": {}}'
    with stack.http(headers=admin.headers) as http:
        first = raw(http, "POST", "/api/configs/import", import_body(document, name="import-twice"))
        assert first.status_code == 201, first.text
        again = raw(http, "POST", "/api/configs/import", import_body(document.replace("1}", "2}"), name="import-twice"))
        assert again.status_code == 409 and "overwrite" in again.json()["detail"]
        replaced = raw(
            http,
            "POST",
            "/api/configs/import",
            import_body(document.replace("1}", "3}"), name="import-twice", overwrite=True),
        )
        assert replaced.status_code == 201, replaced.text
        assert http.get("/api/configs/import-twice").json()["config"]["--seed"] == 3


def test_a_researcher_cannot_import_over_an_admins_environment_and_owns_what_they_import(
    stack: RunningStack, admin: Account
) -> None:
    researcher = create_account(stack, admin, "rita", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "admins-env", "model_family": "sdxl"}).raise_for_status()
        exported = http.get("/api/configs/admins-env/export").text
    with stack.http(headers=researcher.headers) as http:
        refused = raw(http, "POST", "/api/configs/import", import_body(exported, overwrite=True))
        assert refused.status_code == 403 and "config.edit.all" in refused.json()["detail"]
        assert raw(http, "POST", "/api/configs/import", import_body(exported)).status_code == 409
        mine = raw(http, "POST", "/api/configs/import", import_body(exported, name="ritas-env"))
        assert mine.status_code == 201, mine.text
        assert mine.json()["environment"]["owner_id"] == researcher.user_id  # not the document's owner
        hooks = '{"config": {"--model_family": "sdxl", "--post_checkpoint_script": "/bin/rm"}}'
        refused_hooks = raw(http, "POST", "/api/configs/import", import_body(hooks, name="ritas-hooks"))
    assert refused_hooks.status_code == 403 and "admin.config" in refused_hooks.json()["detail"]
    with stack.http(headers=admin.headers) as http:
        assert http.get("/api/configs/admins-env").json()["metadata"]["owner_id"] == admin.user_id


def test_dataloader_file_names_outside_the_environment_are_refused(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        for file in ("../escape.json", "sub/multidatabackend.json", "config.json"):
            document = json.dumps({"config": {"--model_family": "sdxl"}, "dataloaders": {file: []}})
            reply = raw(http, "POST", "/api/configs/import", import_body(document, name="bad-loader"))
            assert reply.status_code == 400 and "multidatabackend" in reply.json()["detail"], file
        assert http.get("/api/configs/bad-loader").status_code == 404
    assert not (stack.workspace / "escape.json").exists() and not (stack.workspace / "configs" / "escape.json").exists()


def test_a_bare_config_imports_as_the_config(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        body = import_body('{"model_family": "sd3", "learning_rate": 5e-5}', name="bare-import")
        assert raw(http, "POST", "/api/configs/import", body).status_code == 201
        assert '"learning_rate": 5e-5' in http.get("/api/configs/bare-import").text


def test_regenerating_a_dataloader_writes_the_starter_and_keeps_the_key_spelling(
    stack: RunningStack, admin: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "regen", "model_family": "sdxl"}).raise_for_status()
        bare = {"config": {"model_family": "sdxl", "data_backend_config": "somewhere/else.json"}}
        http.put("/api/configs/regen", json=bare).raise_for_status()
        reply = http.post("/api/configs/regen/dataloader", json={"path": "multidatabackend-v2.json"})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        config = http.get("/api/configs/regen").json()["config"]
        empty = http.post(
            "/api/configs/regen/dataloader",
            json={"path": "regen/multidatabackend-empty.json", "include_defaults": False},
        )
        refused = http.post("/api/configs/regen/dataloader", json={"path": "../other/multidatabackend.json"})
    folder = stack.workspace / "configs" / "regen"
    assert body["path"] == "regen/multidatabackend-v2.json"
    assert body["absolute_path"] == str(folder.resolve() / "multidatabackend-v2.json")
    assert [entry["dataset_type"] for entry in body["dataloader"]] == ["image", "text_embeds"]
    assert json.loads((folder / "multidatabackend-v2.json").read_text()) == body["dataloader"]
    assert config["data_backend_config"] == "regen/multidatabackend-v2.json" and "--data_backend_config" not in config
    assert empty.status_code == 200 and empty.json()["dataloader"] == []
    assert refused.status_code == 400 and "multidatabackend" in refused.json()["detail"]


def test_lycoris_configs_are_read_replaced_and_checked_field_by_field(stack: RunningStack, admin: Account) -> None:
    spec = {"name": "lokr-env", "model_family": "flux", "lora_type": "lycoris"}
    with stack.http(headers=admin.headers) as http:
        created = http.post("/api/configs/environments", json=spec)
        assert created.status_code == 201, created.text
        assert created.json()["config"]["--lycoris_config"] == "config/lokr-env/lycoris_config.json"
        starter = http.get("/api/configs/environments/lokr-env/lycoris").json()
        wrapped = '{"lycoris_config": {"algo": "lokr", "multiplier": 1.0, "factor": 8, "linear_dim": 1e4}}'
        saved = raw(http, "PUT", "/api/configs/environments/lokr-env/lycoris", wrapped)
        stored = http.get("/api/configs/environments/lokr-env/lycoris")
        bad = http.put("/api/configs/environments/lokr-env/lycoris", json={"algo": "lokr", "factor": 0})
        checked = http.post("/api/configs/lycoris/validate", json={"algo": "nope", "linear_dim": -1, "extra": 1})
        good = http.post("/api/configs/lycoris/validate", json={"lycoris_config": starter["lycoris_config"]})
        http.post("/api/configs/environments", json={"name": "plain-env", "model_family": "sdxl"}).raise_for_status()
        absent = http.get("/api/configs/environments/plain-env/lycoris").json()
        on_plain = http.put("/api/configs/environments/plain-env/lycoris", json=starter["lycoris_config"])
        missing = http.get("/api/configs/environments/no-such-env/lycoris")
    assert starter["name"] == "lokr-env" and starter["lycoris_config"]["algo"] == "lokr"
    assert starter["lycoris_config"]["factor"] == 16 and starter["lycoris_config"]["linear_dim"] == 10000
    assert saved.status_code == 200, saved.text
    assert saved.json()["warnings"] == [] and saved.json()["lycoris_config"]["factor"] == 8
    assert '"linear_dim": 1e4' in stored.text and '"multiplier": 1.0' in stored.text
    assert bad.status_code == 400 and "factor" in bad.json()["detail"]
    assert checked.status_code == 200 and checked.json()["valid"] is False
    assert {e["field"] for e in checked.json()["errors"]} == {"algo", "linear_dim"}
    assert [w["field"] for w in checked.json()["warnings"]] == ["extra"]
    assert good.json() == {"valid": True, "errors": [], "warnings": []}
    assert absent == {"name": "plain-env", "lycoris_config": None}
    assert on_plain.status_code == 200 and [w["field"] for w in on_plain.json()["warnings"]] == ["lora_type"]
    assert missing.status_code == 404


def test_the_examples_cover_every_model_family(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        listing = http.get("/api/configs/examples").json()
    assert listing["count"] == len(listing["examples"]) >= len(MODEL_FAMILIES)
    assert {e["model_family"] for e in listing["examples"]} >= set(MODEL_FAMILIES)
    assert set(listing["examples"][0]) == {
        "name",
        "description",
        "model_family",
        "model_type",
        "lora_type",
        "self_contained",
    }
    assert {(e["model_type"], e["lora_type"]) for e in listing["examples"]} >= {("full", None), ("lora", "lycoris")}


def test_an_environment_made_from_an_example_names_itself_and_validates(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        created = http.post("/api/configs/environments", json={"name": "from-example", "example": "flux-lycoris-lokr"})
        assert created.status_code == 201, created.text
        mismatch = http.post(
            "/api/configs/environments", json={"name": "wrong", "example": "flux-lycoris-lokr", "model_family": "sdxl"}
        )
        unknown = http.post("/api/configs/environments", json={"name": "nothing", "example": "dalle-lora"})
        http.post("/api/configs/from-example/activate").raise_for_status()
        # the dataset folder is not there yet: the validator checks the dataloader file, not the images in it
        checked = http.post("/api/training/validate", files={"__active_tab__": (None, "model")})
    config = created.json()["config"]
    assert config["--data_backend_config"] == "from-example/multidatabackend.json"
    assert config["--output_dir"] == "output/from-example"
    assert config["--lycoris_config"] == "config/from-example/lycoris_config.json"
    assert created.json()["environment"]["description"].startswith("FLUX.1 [dev] LyCORIS")
    folder = stack.workspace / "configs" / "from-example"
    images = json.loads((folder / "multidatabackend.json").read_text())[0]
    assert images["instance_data_dir"] == str((stack.workspace / "datasets" / "from-example").resolve())
    assert images["cache_dir_vae"] == "cache/vae/from-example"
    assert json.loads((folder / "lycoris_config.json").read_text())["algo"] == "lokr"
    assert mismatch.status_code == 400 and "model_family" in mismatch.json()["detail"]
    assert unknown.status_code == 404 and "flux-lycoris-lokr" in unknown.json()["detail"]
    assert checked.status_code == 200, checked.text
    assert checked.json()["environment"] == "from-example"
    assert checked.json()["valid"] is True and checked.json()["errors"] == [], checked.json()["errors"]


def test_the_tiny_demo_example_draws_its_dataset_into_the_new_environments_folder(
    stack: RunningStack, admin: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        created = http.post("/api/configs/environments", json={"name": "first-run", "example": "tiny-demo"})
    assert created.status_code == 201, created.text
    assert created.json()["config"]["--pretrained_model_name_or_path"] == "simpletuner/tiny-sd1x"
    dataset = stack.workspace / "datasets" / "first-run"
    images = sorted(dataset.glob("*.png"))
    assert len(images) >= 8 and all(image.with_suffix(".txt").is_file() for image in images)


def test_imports_dataloader_regeneration_and_lycoris_updates_are_audited(stack: RunningStack, admin: Account) -> None:
    wanted = {"config.imported", "config.dataloader_regenerated", "config.lycoris_updated"}

    def events() -> list[dict[str, Any]]:
        with stack.http(headers=admin.headers) as http:
            return list(http.get("/api/audit", params={"event_type": "config."}).json()["events"])

    deadline = time.monotonic() + 10
    while not wanted <= {e["event_type"] for e in events()}:
        assert time.monotonic() < deadline, [e["event_type"] for e in events()]
        time.sleep(0.2)
    imported = [e for e in events() if e["event_type"] == "config.imported" and e["target_id"] == "exchange-copy"]
    assert imported and imported[0]["actor_id"] == admin.user_id
    assert imported[0]["details"]["source_name"] == "exchange-src" and imported[0]["details"]["replaced"] is False
    created = [e for e in events() if e["event_type"] == "config.created" and e["target_id"] == "from-example"]
    assert created and created[0]["details"]["example"] == "flux-lycoris-lokr"
