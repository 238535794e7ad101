"""Example environments (shipped in simpletuner.libs.examples' `templates/<name>/`) and new environments made from them.

Each example folder holds `config.json`, `multidatabackend.json`, an optional `lycoris_config.json` and
`example.json` (`{description, self_contained}`). Inside an example, a folder named after the example names
the environment made from it: creating `my-env` from `sdxl-lora` turns `output/sdxl-lora` into
`output/my-env`. Dataset folders are written `datasets/<example>` and land in the service's datasets folder,
where uploads go. `self_contained` marks examples that build their model and dataset locally (no downloads):
`tiny-demo` is one (a tiny SD 1.x model built on the machine, trained on shapes drawn in code), and creating
an environment from it draws its dataset, so its first run needs neither downloads nor uploads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simpletuner.libs.examples import TEMPLATES_DIR
from simpletuner.libs.options import bare
from simpletuner.libs.rpc.errors import InvalidArgument, NotFound

from . import config_files
from .environments import (
    CONFIG_FILE,
    DATALOADER_FILE,
    LYCORIS_FILE,
    NAME,
    PATH_OPTIONS,
    Bundle,
    Metadata,
    retarget,
    retarget_config,
)

INFO_FILE = "example.json"
DATASETS_FOLDER = "datasets"


@dataclass(frozen=True)
class Example:
    """What ListExamples says about one example."""

    name: str
    description: str
    model_family: str
    model_type: str
    lora_type: str
    self_contained: bool


def names(root: Path = TEMPLATES_DIR) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file() and (p / INFO_FILE).is_file())


def describe(name: str, root: Path = TEMPLATES_DIR) -> Example:
    folder = _folder(name, root)
    info = config_files.read(folder / INFO_FILE)
    config = {bare(key): value for key, value in config_files.read(folder / CONFIG_FILE).items()}
    model_type = str(config.get("model_type") or "lora")
    return Example(
        name=name,
        description=str(info.get("description", "")),
        model_family=str(config.get("model_family", "")),
        model_type=model_type,
        lora_type=str(config.get("lora_type") or "standard") if model_type == "lora" else "",
        self_contained=bool(info.get("self_contained", False)),
    )


def examples(root: Path = TEMPLATES_DIR) -> list[Example]:
    return [describe(name, root) for name in names(root)]


def instantiate(name: str, environment: str, datasets_dir: Path, root: Path = TEMPLATES_DIR) -> Bundle:
    """The example's files for a new environment named `environment`, every path retargeted to it."""
    folder = _folder(name, root)
    config = retarget_config(config_files.read(folder / CONFIG_FILE), name, environment, PATH_OPTIONS)
    dataloader = [
        _dataset(entry, name, environment, datasets_dir) for entry in config_files.read(folder / DATALOADER_FILE)
    ]
    lycoris = config_files.read(folder / LYCORIS_FILE) if (folder / LYCORIS_FILE).is_file() else None
    description = describe(name, root).description
    return Bundle(config, {DATALOADER_FILE: dataloader}, lycoris, Metadata(description=description), name)


def _dataset(entry: dict[str, Any], name: str, environment: str, datasets_dir: Path) -> dict[str, Any]:
    dataset = dict(entry)
    for key, value in entry.items():
        if isinstance(value, str) and (key == "instance_data_dir" or key.startswith("cache_dir")):
            dataset[key] = retarget(value, name, environment)
    folder = dataset.get("instance_data_dir")
    if isinstance(folder, str) and folder.startswith(f"{DATASETS_FOLDER}/"):
        dataset["instance_data_dir"] = str(datasets_dir / folder.removeprefix(f"{DATASETS_FOLDER}/"))
    return dataset


def _folder(name: str, root: Path) -> Path:
    if not NAME.match(name) or name not in names(root):
        known = ", ".join(names(root)) or "none"
        raise NotFound(f"no example named {name!r}; GET /api/configs/examples lists them ({known})", name=name)
    folder = root / name
    if not (folder / DATALOADER_FILE).is_file():
        raise InvalidArgument(f"example {name} has no {DATALOADER_FILE}", field="example")
    return folder
