"""Environments on disk, as SimpleTuner lays them out: `configs/<name>/config.json`, its dataloader files,
`lycoris_config.json`, and a metadata sidecar (`.environment.json`: description, tags, owner, times).

Config keys are kept exactly as written (`--learning_rate` or `learning_rate`); unknown keys are kept and
reported as warnings. The `default` environment supplies defaults to every other (the "Use environment
defaults" switch): catalogue defaults, then default's config.json, then the environment's own file,
then the fields submitted with a request.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simpletuner.libs import options
from simpletuner.libs.options import bare
from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound

from . import config_files

CONFIG_FILE = "config.json"
DATALOADER_FILE = "multidatabackend.json"
LYCORIS_FILE = "lycoris_config.json"
METADATA_FILE = ".environment.json"
DEFAULT_ENVIRONMENT = "default"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass
class Metadata:
    """What the sidecar says about an environment."""

    description: str = ""
    tags: list[str] = field(default_factory=list)
    owner_id: str = ""
    created_at: str = ""
    updated_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "tags": self.tags,
            "owner_id": self.owner_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Metadata:
        return cls(
            description=str(data.get("description", "")),
            tags=[str(tag) for tag in data.get("tags", [])],
            owner_id=str(data.get("owner_id", "")),
            created_at=str(data.get("created_at", "")),
            updated_at=str(data.get("updated_at", "")),
        )


@dataclass
class Environment:
    name: str
    config: dict[str, Any]
    metadata: Metadata
    dataloaders: list[str]


def unknown_keys(config: dict[str, Any]) -> list[str]:
    """Keys the catalogue does not know (kept, but worth a warning: often a typo)."""
    return sorted(key for key in config if options.find(key) is None)


def merge(*layers: dict[str, Any]) -> dict[str, Any]:
    """Later layers win; a key given as `--x` in one layer and `x` in another is the same key."""
    merged: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for layer in layers:
        for key, value in layer.items():
            previous = spelled.get(bare(key))
            if previous is not None and previous != key:
                del merged[previous]
            spelled[bare(key)] = key
            merged[key] = value
    return merged


def catalogue_defaults() -> dict[str, Any]:
    return {option.flag: option.default for option in options.CATALOGUE if option.default is not None}


class EnvironmentStore:
    """The environments of one `configs_dir`."""

    def __init__(self, configs_dir: Path) -> None:
        self.root = configs_dir.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, name: str) -> Path:
        """The environment's folder; names that could leave configs_dir are refused."""
        if not NAME.match(name) or name in (".", ".."):
            raise InvalidArgument(
                f"{name!r} is not a valid environment name: use letters, digits, '.', '_' or '-' (up to 100)",
                field="name",
            )
        folder = (self.root / name).resolve()
        if folder.parent != self.root:
            raise InvalidArgument(f"{name!r} would leave the configs folder", field="name")
        return folder

    def names(self) -> list[str]:
        """Every folder holding a config.json (including ones made by hand or by the SimpleTuner CLI)."""
        return sorted(p.name for p in self.root.iterdir() if (p / CONFIG_FILE).is_file() and NAME.match(p.name))

    def exists(self, name: str) -> bool:
        return (self.folder(name) / CONFIG_FILE).is_file()

    def get(self, name: str) -> Environment:
        folder = self.folder(name)
        if not (folder / CONFIG_FILE).is_file():
            raise NotFound(f"no environment named {name}; GET /api/configs/ lists them", name=name)
        config = config_files.read(folder / CONFIG_FILE)
        if not isinstance(config, dict):
            raise InvalidArgument(f"{folder / CONFIG_FILE} must hold a JSON object of options")
        sidecar = folder / METADATA_FILE
        metadata = Metadata.from_json(config_files.read(sidecar)) if sidecar.is_file() else Metadata()
        dataloaders = sorted(p.name for p in folder.glob("multidatabackend*.json"))
        return Environment(name, config, metadata, dataloaders)

    def create(
        self, name: str, config: dict[str, Any], metadata: Metadata, dataloader: list[dict[str, Any]] | None = None
    ) -> Environment:
        folder = self.folder(name)
        if (folder / CONFIG_FILE).exists():
            raise AlreadyExists(f"an environment named {name} already exists", name=name)
        now = _now()
        metadata.created_at = metadata.updated_at = now
        if dataloader is not None:
            config_files.write_atomic(folder / DATALOADER_FILE, dataloader)
        config_files.write_atomic(folder / METADATA_FILE, metadata.to_json())
        config_files.write_atomic(folder / CONFIG_FILE, config)  # last: its presence makes the environment exist
        return self.get(name)

    def update(self, name: str, config: dict[str, Any], description: str | None, tags: list[str] | None) -> Environment:
        current = self.get(name)
        folder = self.folder(name)
        metadata = current.metadata
        metadata.description = metadata.description if description is None else description
        metadata.tags = metadata.tags if tags is None else tags
        metadata.updated_at = _now()
        config_files.write_atomic(folder / CONFIG_FILE, config)
        config_files.write_atomic(folder / METADATA_FILE, metadata.to_json())
        return self.get(name)

    def delete(self, name: str) -> None:
        self.get(name)
        shutil.rmtree(self.folder(name))

    def copy(self, name: str, target: str, owner_id: str) -> Environment:
        source = self.get(name)
        destination = self.folder(target)
        if destination.exists():
            raise AlreadyExists(f"an environment named {target} already exists", name=target)
        shutil.copytree(self.folder(name), destination)
        metadata = Metadata(source.metadata.description, list(source.metadata.tags), owner_id, _now(), _now())
        config_files.write_atomic(destination / METADATA_FILE, metadata.to_json())
        return self.get(target)

    def rename(self, name: str, target: str) -> Environment:
        self.get(name)
        destination = self.folder(target)
        if destination.exists():
            raise AlreadyExists(f"an environment named {target} already exists", name=target)
        self.folder(name).rename(destination)
        return self.get(target)

    def resolved(self, name: str, submitted: dict[str, Any], use_defaults: bool = True) -> dict[str, Any]:
        """The config a run would use: catalogue defaults, default env, this env, then `submitted`."""
        own = self.get(name).config
        layers = [catalogue_defaults()]
        if use_defaults and name != DEFAULT_ENVIRONMENT and self.exists(DEFAULT_ENVIRONMENT):
            layers.append(self.get(DEFAULT_ENVIRONMENT).config)
        return merge(*layers, own, submitted)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
