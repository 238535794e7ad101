"""POST /api/training/validate with the seeds' form fields: "Configuration Valid" or errors that name the fix."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from simpletuner.libs.options import BY_NAME
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

DATALOADER = [
    {
        "id": "pixart-camera",
        "type": "local",
        "dataset_type": "image",
        "instance_data_dir": "/data/datasets/pseudo-camera-10k",
        "caption_strategy": "filename",
        "resolution": 1.0,
        "resolution_type": "area",
    },
    {"id": "pixart-text-embeds", "type": "local", "dataset_type": "text_embeds", "default": True, "cache_dir": "x"},
]

SEED_FORM = {
    "__active_tab__": "model",
    "--model_family": "pixart_sigma",
    "--model_type": "full",
    "--model_flavour": "900M-1024-v0.6",
    "--pretrained_model_name_or_path": "terminusresearch/pixart-900m-1024-ft-v0.6",
    "--output_dir": "/workspace/output/inline-demo",
    "--data_backend_config": "config/multidatabackend-once.json",
    "--train_batch_size": "1",
    "--learning_rate": "0.0001",
    "--max_train_steps": "200",
    "--num_train_epochs": "0",
}


@pytest.fixture(scope="module")
def dataloader(stack: RunningStack) -> None:
    # where the seeds' shell commands put it: `config/` under the workspace they cd into
    target = stack.workspace / "config" / "multidatabackend-once.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(DATALOADER))


def _validate(stack: RunningStack, admin: Account, form: dict[str, str], **headers: str) -> Any:
    with stack.http(headers={**admin.headers, **headers}) as http:
        # multipart, as curl -F sends it
        return http.post("/api/training/validate", files={key: (None, value) for key, value in form.items()})


def _fields(reply: Any) -> dict[str, str]:
    return {error["field"]: error["message"] for error in reply.json()["errors"]}


def test_the_seeds_inline_form_is_valid(stack: RunningStack, admin: Account, dataloader: None) -> None:
    reply = _validate(stack, admin, SEED_FORM)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["valid"] is True and body["message"] == "Configuration Valid", body["errors"]
    assert body["config"]["learning_rate"] == 0.0001 and body["config"]["max_train_steps"] == 200


def test_the_web_ui_gets_a_green_fragment(stack: RunningStack, admin: Account, dataloader: None) -> None:
    reply = _validate(stack, admin, SEED_FORM, **{"HX-Request": "true"})
    assert reply.headers["content-type"].startswith("text/html") and "Configuration Valid" in reply.text


def test_both_or_neither_duration_is_an_error_naming_the_fix(
    stack: RunningStack, admin: Account, dataloader: None
) -> None:
    both = _fields(_validate(stack, admin, SEED_FORM | {"--num_train_epochs": "3"}))
    neither = _fields(_validate(stack, admin, SEED_FORM | {"--max_train_steps": "0"}))
    assert "Set one of them to 0" in both["max_train_steps"]
    assert "must be greater than 0" in neither["num_train_epochs"]


def test_missing_and_malformed_fields_are_named(stack: RunningStack, admin: Account, dataloader: None) -> None:
    form = {k: v for k, v in SEED_FORM.items() if k != "--pretrained_model_name_or_path"}
    errors = _fields(_validate(stack, admin, form | {"--model_family": "dalle", "--learning_rate": "fast"}))
    assert "required" in errors["pretrained_model_name_or_path"]
    assert "pixart_sigma" in errors["model_family"]  # the valid list is given
    assert "not a valid float" in errors["learning_rate"]


def test_full_with_quantisation_and_lora_with_deepspeed_are_refused(
    stack: RunningStack, admin: Account, dataloader: None
) -> None:
    quantised = _fields(_validate(stack, admin, SEED_FORM | {"--base_model_precision": "int8-quanto"}))
    lora_ds = _fields(_validate(stack, admin, SEED_FORM | {"--model_type": "lora", "--deepspeed_stage": "2"}))
    assert "full fine-tune" in quantised["base_model_precision"]
    assert "DeepSpeed" in lora_ds["deepspeed_stage"]


def test_dataloader_problems_name_the_entry_and_key(stack: RunningStack, admin: Account) -> None:
    broken = stack.workspace / "configs" / "broken.json"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text(json.dumps([{"id": "a", "type": "local", "dataset_type": "image", "caption_strategy": "vibes"}]))
    errors = _validate(stack, admin, SEED_FORM | {"--data_backend_config": "broken.json"}).json()["errors"]
    messages = " ".join(e["message"] for e in errors)
    assert "broken.json[0].caption_strategy" in messages and "broken.json[0].instance_data_dir" in messages
    (stack.workspace / "configs" / "syntax.json").write_text("[{")
    errors = _validate(stack, admin, SEED_FORM | {"--data_backend_config": "syntax.json"}).json()["errors"]
    assert any("not valid JSON" in e["message"] for e in errors)
    missing = _fields(_validate(stack, admin, SEED_FORM | {"--data_backend_config": "nowhere.json"}))
    assert "not found" in missing["data_backend_config"]


def test_disabled_fields_are_dropped_and_the_active_environment_fills_gaps(
    stack: RunningStack, admin: Account, dataloader: None
) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post(
            "/api/configs/environments", json={"name": "val-env", "model_family": "pixart_sigma"}
        ).raise_for_status()
        config = http.get("/api/configs/val-env").json()["config"] | {
            "--pretrained_model_name_or_path": "from-the-env",
            "--max_train_steps": 100,
            "--data_backend_config": "config/multidatabackend-once.json",
        }
        http.put("/api/configs/val-env", json={"config": config}).raise_for_status()
        http.post("/api/configs/val-env/activate").raise_for_status()
    started = time.perf_counter()
    reply = _validate(stack, admin, {"--learning_rate": "2e-4", "__disabled_fields__": "--validation_prompt"})
    elapsed_ms = (time.perf_counter() - started) * 1000
    body = reply.json()
    assert body["valid"] is True, body["errors"]
    assert body["environment"] == "val-env" and body["config"]["pretrained_model_name_or_path"] == "from-the-env"
    assert body["config"]["learning_rate"] == 2e-4
    print(f"validate round trip: {elapsed_ms:.1f} ms")


def test_the_environment_field_names_another_environment_to_merge_over(
    stack: RunningStack, admin: Account, dataloader: None
) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "val-other", "example": "tiny-demo"}).raise_for_status()
    body = _validate(stack, admin, {"environment": "val-other"}).json()
    assert body["environment"] == "val-other" and "environment" not in body["config"]
    assert body["config"]["pretrained_model_name_or_path"] == "simpletuner/tiny-sd1x"  # not the active val-env's
    missing = _validate(stack, admin, {"environment": "no-such-env"})
    assert missing.status_code == 404 and "no environment named no-such-env" in missing.text


@pytest.fixture(scope="module")
def newcomer(stack: RunningStack, admin: Account) -> Account:
    """Someone who has never activated an environment."""
    return create_account(stack, admin, "nina", ["researcher"])


def test_without_an_active_environment_the_form_alone_is_checked(
    stack: RunningStack, newcomer: Account, dataloader: None
) -> None:
    body = _validate(stack, newcomer, SEED_FORM).json()
    assert body["environment"] is None
    assert body["valid"] is True, body["errors"]


@pytest.mark.parametrize("option", ["--output_dir", "--data_backend_config"])
def test_a_missing_output_dir_or_dataloader_is_an_error_naming_the_field(
    stack: RunningStack, newcomer: Account, dataloader: None, option: str
) -> None:
    form = {key: value for key, value in SEED_FORM.items() if key != option}
    errors = _fields(_validate(stack, newcomer, form))
    assert f"{option} is required" in errors[option.removeprefix("--")]


def test_the_web_ui_gets_a_red_fragment_listing_each_bad_field(
    stack: RunningStack, newcomer: Account, dataloader: None
) -> None:
    form = {key: value for key, value in SEED_FORM.items() if key != "--pretrained_model_name_or_path"}
    reply = _validate(stack, newcomer, form | {"--learning_rate": "fast"}, **{"HX-Request": "true"})
    assert reply.headers["content-type"].startswith("text/html")
    assert 'class="alert alert-danger"' in reply.text and "Configuration Invalid" in reply.text
    assert "<code>--pretrained_model_name_or_path</code>" in reply.text and "<code>--learning_rate</code>" in reply.text


# last: once the default environment exists, every validation without merge_environment_config=false uses it


def test_merge_environment_config_false_leaves_the_default_environment_out(
    stack: RunningStack, admin: Account, newcomer: Account, dataloader: None
) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "default", "model_family": "sdxl"}).raise_for_status()
        http.put("/api/configs/default", json={"config": {"--seed": 4321}}).raise_for_status()
    merged = _validate(stack, newcomer, SEED_FORM).json()
    alone = _validate(stack, newcomer, SEED_FORM | {"merge_environment_config": "false"}).json()
    assert merged["config"]["seed"] == 4321
    assert alone["config"].get("seed") == BY_NAME["seed"].default != 4321  # the catalogue's, not default's
    assert alone["valid"] is True, alone["errors"]


def test_output_path_rules_decide_where_a_users_runs_may_write(stack: RunningStack, admin: Account) -> None:
    member = create_account(stack, admin, "otto", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        level = http.post("/api/users/levels", json={"name": "team-a-outputs", "permissions": []}).json()
        pattern = f"{stack.workspace}/output/team-a/*"
        rule = {
            "name": "team a outputs",
            "resource_type": "output_path",
            "pattern": pattern,
            "level_ids": [level["id"]],
        }
        http.post("/api/users/resource-rules", json=rule).raise_for_status()
        http.post(f"/api/users/{member.user_id}/levels", json={"level_name": "team-a-outputs"}).raise_for_status()

    def output_errors(output_dir: str) -> list[str]:
        with stack.http(headers=member.headers) as http:
            reply = http.post("/api/training/validate", files={"--output_dir": (None, output_dir)}).json()
        return [error["message"] for error in reply["errors"] if error["field"] == "output_dir"]

    assert output_errors("output/team-a/run1") == []
    refused = output_errors("output/team-b/run1")
    assert refused and "team-b" in refused[0]
