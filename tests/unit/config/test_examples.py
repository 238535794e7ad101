"""The shipped examples: one per model family, each valid by the project's own validator once made an environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs.examples import TEMPLATES_DIR
from simpletuner.libs.options import CATALOGUE, MODEL_FAMILIES, bare, find, validation
from simpletuner.libs.rpc.errors import NotFound
from simpletuner.services.config import config_files, example_environments, lycoris
from simpletuner.services.config.environments import EnvironmentStore, Metadata
from simpletuner.services.config.example_environments import describe, examples, instantiate, names

EXAMPLES = names()


def make_environment(example: str, name: str, tmp_path: Path) -> tuple[EnvironmentStore, Path]:
    """The example installed as environment `name` in a fresh configs folder; returns the store and datasets dir."""
    store = EnvironmentStore(tmp_path / "configs")
    datasets = tmp_path / "datasets"
    bundle = instantiate(example, name, datasets)
    store.install(name, bundle.files(), Metadata(description=bundle.metadata.description))
    return store, datasets


def resolved(config: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """As the config service resolves it: catalogue defaults, then the config; keys without dashes."""
    defaults = {option.name: option.default for option in CATALOGUE}
    own = {bare(key): value for key, value in config.items()}
    return defaults | own, set(own)


def test_there_is_an_example_for_every_model_family() -> None:
    assert {example.model_family for example in examples()} >= set(MODEL_FAMILIES)


def test_there_is_a_lycoris_example_and_a_full_fine_tune() -> None:
    found = examples()
    assert any(e.model_type == "lora" and e.lora_type == "lycoris" for e in found)
    assert any(e.model_type == "full" and e.lora_type == "" for e in found)


def test_tiny_demo_is_the_one_self_contained_example_and_trains_a_built_in_model() -> None:
    assert [example.name for example in examples() if example.self_contained] == ["tiny-demo"]
    config = config_files.read(TEMPLATES_DIR / "tiny-demo" / "config.json")
    assert config["--pretrained_model_name_or_path"] == "simpletuner/tiny-sd1x"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_passes_the_validator_once_its_dataloader_resolves(example: str, tmp_path: Path) -> None:
    store, _ = make_environment(example, "my-env", tmp_path)
    config, explicit = resolved(store.get("my-env").config)
    report = validation.check(config, explicit, store.root, tmp_path)
    assert report.errors == [], report.errors


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_uses_only_catalogue_options_and_describes_itself(example: str) -> None:
    config = config_files.read(TEMPLATES_DIR / example / "config.json")
    assert [key for key in config if find(key) is None] == []
    assert describe(example).description
    assert config["--data_backend_config"] == f"{example}/multidatabackend.json"
    assert config["--output_dir"] == f"output/{example}"


@pytest.mark.parametrize("example", [e.name for e in examples() if e.lora_type == "lycoris"])
def test_lycoris_examples_carry_a_valid_lycoris_config_and_point_at_it(example: str, tmp_path: Path) -> None:
    folder = TEMPLATES_DIR / example
    assert lycoris.check(config_files.read(folder / "lycoris_config.json")).valid
    store, _ = make_environment(example, "lokr-env", tmp_path)
    config = store.get("lokr-env").config
    assert config["--lycoris_config"] == "config/lokr-env/lycoris_config.json"
    found = validation.resolve_path(config["--lycoris_config"], store.root, tmp_path)
    assert found == store.root / "lokr-env" / "lycoris_config.json"


def test_creating_from_an_example_retargets_every_path_to_the_new_environment(tmp_path: Path) -> None:
    store, datasets = make_environment("sdxl-lora", "portraits", tmp_path)
    config = store.get("portraits").config
    assert config["--data_backend_config"] == "portraits/multidatabackend.json"
    assert config["--output_dir"] == "output/portraits"
    assert config["--pretrained_model_name_or_path"] == "stabilityai/stable-diffusion-xl-base-1.0"
    images, embeds = config_files.read(store.root / "portraits" / "multidatabackend.json")
    assert images["instance_data_dir"] == str(datasets / "portraits")
    assert images["cache_dir_vae"] == "cache/vae/portraits" and embeds["cache_dir"] == "cache/text/portraits"
    text = (store.root / "portraits" / "config.json").read_text() + (
        store.root / "portraits" / "multidatabackend.json"
    ).read_text()
    assert "sdxl-lora" not in text


def test_example_numbers_keep_their_spelling(tmp_path: Path) -> None:
    store, _ = make_environment("sdxl-lora", "spelled", tmp_path)
    assert '"--learning_rate": 1e-4' in (store.root / "spelled" / "config.json").read_text()


def test_an_unknown_example_is_not_found_and_the_error_lists_the_known_ones() -> None:
    with pytest.raises(NotFound, match="sdxl-lora"):
        describe("dalle-lora")
    with pytest.raises(NotFound):
        instantiate("../sdxl-lora", "x", Path("/tmp"))


def test_examples_are_read_from_their_folders_with_the_self_contained_flag(tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    config_files.write_atomic(folder / "config.json", {"--model_family": "sd1x", "--model_type": "full"})
    config_files.write_atomic(folder / "multidatabackend.json", [])
    config_files.write_atomic(folder / "example.json", {"description": "builds itself", "self_contained": True})
    (tmp_path / "not-an-example").mkdir()
    (found,) = example_environments.examples(tmp_path)
    assert found == example_environments.Example("tiny", "builds itself", "sd1x", "full", "", True)
