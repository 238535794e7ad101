"""Environments on disk: exact round trips, atomic writes, names confined to configs_dir, the defaults merge,
export documents and whole-environment installs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound
from simpletuner.services.config import config_files
from simpletuner.services.config.environments import (
    CONFIG_FILE,
    DEFAULT_ENVIRONMENT,
    LYCORIS_FILE,
    EnvironmentStore,
    Metadata,
    export_document,
    merge,
    parse_document,
    retarget,
    spelling,
    unknown_keys,
)


@pytest.fixture
def store(tmp_path: Path) -> EnvironmentStore:
    return EnvironmentStore(tmp_path / "configs")


def test_numbers_keep_their_spelling_and_keys_their_dashes() -> None:
    text = '{\n  "--learning_rate": 1e-4,\n  "lr_warmup_steps": 500,\n  "--validation_guidance": 3.80,\n  "x": 1E+2\n}'
    value = config_files.loads(text)
    assert value["--learning_rate"] == 0.0001
    out = config_files.dumps(value)
    assert '"--learning_rate": 1e-4' in out and '"--validation_guidance": 3.80' in out and '"x": 1E+2' in out
    assert list(json.loads(out)) == ["--learning_rate", "lr_warmup_steps", "--validation_guidance", "x"]


def test_an_environment_round_trips_exactly(store: EnvironmentStore) -> None:
    config = config_files.loads('{"--model_family": "pixart_sigma", "--learning_rate": 1e-4, "my_own_key": true}')
    store.create("pixart-api-demo", config, Metadata(description="demo", tags=["pixart"]), dataloader=[])
    written = (store.root / "pixart-api-demo" / CONFIG_FILE).read_text()
    assert '"--learning_rate": 1e-4' in written and '"my_own_key": true' in written
    loaded = store.get("pixart-api-demo")
    assert loaded.config == config and loaded.metadata.tags == ["pixart"]
    assert loaded.dataloaders == ["multidatabackend.json"]
    assert unknown_keys(loaded.config) == ["my_own_key"]


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "", "x" * 101, "bad name"])
def test_names_that_could_leave_the_configs_folder_are_refused(store: EnvironmentStore, name: str) -> None:
    with pytest.raises(InvalidArgument):
        store.create(name, {}, Metadata())
    assert list(store.root.iterdir()) == []


def test_existing_simpletuner_folders_are_discovered(store: EnvironmentStore) -> None:
    (store.root / "from-cli").mkdir()
    (store.root / "from-cli" / CONFIG_FILE).write_text('{"--model_family": "sdxl"}')
    (store.root / "not-an-env").mkdir()
    assert store.names() == ["from-cli"]
    assert store.get("from-cli").metadata == Metadata()


def test_creating_twice_and_reading_a_missing_one_fail_clearly(store: EnvironmentStore) -> None:
    store.create("one", {}, Metadata())
    with pytest.raises(AlreadyExists):
        store.create("one", {}, Metadata())
    with pytest.raises(NotFound, match="no environment named two"):
        store.get("two")


def test_copy_rename_and_delete_move_whole_folders(store: EnvironmentStore) -> None:
    store.create("base", {"--seed": 1}, Metadata(owner_id="u1"))
    copied = store.copy("base", "mine", owner_id="u2")
    assert copied.config == {"--seed": 1} and copied.metadata.owner_id == "u2"
    assert store.rename("mine", "yours").name == "yours"
    store.delete("base")
    assert store.names() == ["yours"]


def test_the_defaults_merge_goes_catalogue_then_default_env_then_own_then_submitted(store: EnvironmentStore) -> None:
    store.create(DEFAULT_ENVIRONMENT, {"--lora_rank": 32, "--seed": 7}, Metadata())
    store.create("mine", {"seed": 99, "--learning_rate": 2e-4}, Metadata())
    resolved = store.resolved("mine", {"--learning_rate": 5e-5})
    assert resolved["--lora_rank"] == 32  # from the default environment
    assert resolved["seed"] == 99 and "--seed" not in resolved  # own file wins, one spelling kept
    assert resolved["--learning_rate"] == 5e-5  # submitted wins
    assert resolved["--model_type"] == "lora"  # catalogue default
    alone = store.resolved("mine", {}, use_defaults=False)
    assert alone["--lora_rank"] == 16  # without the default environment, the catalogue default


def test_merge_treats_dashed_and_bare_keys_as_one() -> None:
    assert merge({"--a": 1}, {"a": 2}) == {"a": 2}


def test_concurrent_writers_always_leave_one_complete_version(store: EnvironmentStore) -> None:
    store.create("busy", {"version": 0}, Metadata())
    path = store.root / "busy" / CONFIG_FILE
    stop = threading.Event()
    seen: list[int] = []

    def write(worker: int) -> None:
        for step in range(40):
            store.update("busy", {"version": worker * 1000 + step, "pad": "x" * 20_000}, None, None)

    def read() -> None:
        while not stop.is_set():
            seen.append(json.loads(path.read_text())["version"])

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()
    assert seen  # every read parsed as complete JSON
    assert not list(path.parent.glob("*.tmp"))


# export, import and whole-environment installs


def _exported(store: EnvironmentStore) -> dict[str, Any]:
    config = config_files.loads('{"--model_family": "flux", "--learning_rate": 1e-4, "my_flag": 2.50}')
    store.create("source", config, Metadata(description="flux run", tags=["flux"], owner_id="u1"), dataloader=[])
    config_files.write_atomic(store.root / "source" / "multidatabackend-extra.json", [{"id": "x", "resolution": 1.0}])
    config_files.write_atomic(store.root / "source" / LYCORIS_FILE, {"algo": "lokr", "factor": 16})
    return export_document(store.bundle("source"), "source", include_metadata=True)


def test_an_export_carries_config_dataloaders_lycoris_and_metadata(store: EnvironmentStore) -> None:
    document = _exported(store)
    assert list(document) == ["_metadata", "config", "dataloaders", "lycoris_config"]
    assert document["_metadata"]["name"] == "source" and document["_metadata"]["tags"] == ["flux"]
    assert set(document["dataloaders"]) == {"multidatabackend.json", "multidatabackend-extra.json"}
    assert document["lycoris_config"] == {"algo": "lokr", "factor": 16}
    text = config_files.dumps(document)
    assert '"--learning_rate": 1e-4' in text and '"my_flag": 2.50' in text and '"resolution": 1.0' in text
    assert "_metadata" not in export_document(store.bundle("source"), "source", include_metadata=False)


def test_an_exported_document_parses_back_with_numbers_spelled_and_owner_dropped(store: EnvironmentStore) -> None:
    text = config_files.dumps(_exported(store))
    bundle = parse_document(config_files.loads(text))
    assert bundle.name == "source" and bundle.metadata.description == "flux run"
    assert bundle.metadata.owner_id == "" and bundle.metadata.created_at == ""  # the importer's, not the document's
    store.install("copy", bundle.files(), bundle.metadata)
    written = (store.root / "copy" / CONFIG_FILE).read_text()
    assert '"--learning_rate": 1e-4' in written and '"my_flag": 2.50' in written
    assert store.get("copy").dataloaders == ["multidatabackend-extra.json", "multidatabackend.json"]
    assert store.lycoris("copy") == {"algo": "lokr", "factor": 16}


def test_a_document_without_a_config_key_is_a_bare_config() -> None:
    bundle = parse_document(config_files.loads('{"--seed": 7, "_metadata": {"name": "n", "tags": ["t"]}}'))
    assert bundle.config == {"--seed": 7} and bundle.dataloaders == {} and bundle.lycoris is None
    assert bundle.name == "n" and bundle.metadata.tags == ["t"]


@pytest.mark.parametrize(
    "file",
    ["../multidatabackend.json", "sub/multidatabackend.json", "config.json", ".environment.json", "multidatabackend"],
)
def test_dataloader_files_must_be_multidatabackend_json_in_the_folder(file: str) -> None:
    with pytest.raises(InvalidArgument, match="not a dataloader file name"):
        parse_document({"config": {}, "dataloaders": {file: []}})


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"config": []},
        {"config": {}, "dataloaders": []},
        {"config": {}, "dataloaders": {"multidatabackend.json": {}}},
    ],
)
def test_malformed_documents_are_refused_with_what_to_fix(document: Any) -> None:
    with pytest.raises(InvalidArgument):
        parse_document(document)


def test_install_refuses_an_existing_environment_unless_overwriting(store: EnvironmentStore) -> None:
    store.create("taken", {"--seed": 1}, Metadata(), dataloader=[])
    config_files.write_atomic(store.root / "taken" / "multidatabackend-old.json", [])
    with pytest.raises(AlreadyExists):
        store.install("taken", {CONFIG_FILE: {"--seed": 2}}, Metadata())
    assert store.get("taken").config == {"--seed": 1}
    replaced = store.install("taken", {CONFIG_FILE: {"--seed": 3}}, Metadata(owner_id="me"), overwrite=True)
    assert replaced.config == {"--seed": 3} and replaced.metadata.owner_id == "me"
    assert replaced.dataloaders == []  # the whole folder was replaced, old files included
    assert [p.name for p in store.root.iterdir()] == ["taken"]  # no staging or replaced folders left


def test_a_failed_install_leaves_the_old_environment_and_no_staging_folder(
    store: EnvironmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create("kept", {"--seed": 1}, Metadata())

    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(config_files, "write_atomic", fail)
    with pytest.raises(OSError, match="disk full"):
        store.install("kept", {CONFIG_FILE: {"--seed": 2}}, Metadata(), overwrite=True)
    assert store.get("kept").config == {"--seed": 1}
    assert [p.name for p in store.root.iterdir()] == ["kept"]


def test_retarget_renames_whole_folder_names_only() -> None:
    assert retarget("output/sdxl-lora", "sdxl-lora", "mine") == "output/mine"
    assert retarget("config/sdxl-lora/lycoris_config.json", "sdxl-lora", "mine") == "config/mine/lycoris_config.json"
    assert retarget("output/sdxl-lora-old", "sdxl-lora", "mine") == "output/sdxl-lora-old"


def test_a_new_key_is_spelled_as_the_config_already_spells_its_keys() -> None:
    assert spelling({"data_backend_config": "x"}, "data_backend_config") == "data_backend_config"
    assert spelling({"--seed": 1}, "lycoris_config") == "--lycoris_config"
    assert spelling({"seed": 1}, "lycoris_config") == "lycoris_config"
    assert spelling({}, "lycoris_config") == "--lycoris_config"


# rename and copy: an environment's own paths follow its name

OWN = {
    "--data_backend_config": "lora/multidatabackend.json",
    "--lycoris_config": "config/lora/lycoris_config.json",
    "--output_dir": "output/lora",
    "--validation_prompt": "lora",  # not a path: left as written
}


def test_a_rename_points_the_dataloader_lycoris_and_output_paths_at_the_new_name(store: EnvironmentStore) -> None:
    store.create("lora", OWN, Metadata(), dataloader=[])
    renamed = store.rename("lora", "lokr")
    assert renamed.config == {
        "--data_backend_config": "lokr/multidatabackend.json",
        "--lycoris_config": "config/lokr/lycoris_config.json",
        "--output_dir": "output/lokr",
        "--validation_prompt": "lora",
    }
    assert store.names() == ["lokr"] and renamed.dataloaders == ["multidatabackend.json"]


def test_a_copy_reads_its_own_files_and_writes_its_own_output(store: EnvironmentStore) -> None:
    store.create("lora", OWN, Metadata(owner_id="u1"), dataloader=[{"id": "x"}])
    copied = store.copy("lora", "twin", owner_id="u2")
    assert copied.config["--data_backend_config"] == "twin/multidatabackend.json"
    assert copied.config["--lycoris_config"] == "config/twin/lycoris_config.json"
    assert copied.config["--output_dir"] == "output/twin"
    assert config_files.read(store.root / "twin" / "multidatabackend.json") == [{"id": "x"}]
    assert store.get("lora").config == OWN  # the source is untouched
    assert sorted(p.name for p in store.root.iterdir()) == ["lora", "twin"]  # no staging folder left


def test_a_copy_whose_output_folder_does_not_name_its_source_gets_a_folder_of_its_own(
    store: EnvironmentStore,
) -> None:
    store.create("lora", {"output_dir": "/runs/shared/"}, Metadata())
    assert store.copy("lora", "twin", owner_id="u2").config == {"output_dir": "/runs/shared/twin"}
    store.create("plain", {"--seed": 1}, Metadata())
    assert store.copy("plain", "plain-2", owner_id="u2").config == {"--seed": 1}  # nothing to move


def test_a_symlinked_folder_is_not_an_environment(store: EnvironmentStore) -> None:
    store.create("real", {"--seed": 1}, Metadata())
    (store.root / "alias").symlink_to(store.root / "real")
    with pytest.raises(InvalidArgument, match="symbolic link"):
        store.get("alias")
    with pytest.raises(InvalidArgument, match="symbolic link"):
        store.delete("alias")
    assert store.get("real").config == {"--seed": 1}


def test_a_config_that_is_not_json_is_a_problem_naming_the_file(store: EnvironmentStore) -> None:
    (store.root / "broken").mkdir()
    (store.root / "broken" / CONFIG_FILE).write_text("{not json")
    with pytest.raises(InvalidArgument, match=r"broken/config.json cannot be read as JSON"):
        store.get("broken")
