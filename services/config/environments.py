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
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simpletuner.libs import options
from simpletuner.libs.options import Kind, bare
from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound

from . import config_files

CONFIG_FILE = "config.json"
DATALOADER_FILE = "multidatabackend.json"
LYCORIS_FILE = "lycoris_config.json"
METADATA_FILE = ".environment.json"
DEFAULT_ENVIRONMENT = "default"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DATALOADER_NAME = re.compile(r"^multidatabackend[A-Za-z0-9._-]*\.json$")
# Options whose values are paths: where an environment's own name appears as a folder, it names that environment.
PATH_OPTIONS = frozenset(option.name for option in options.CATALOGUE if option.kind == Kind.PATH)
# The options naming an environment's own files and its output folder: a rename or copy points them at the new name.
OWN_PATHS = frozenset({"data_backend_config", "lycoris_config", "output_dir"})


@dataclass
class Metadata:
    """What the sidecar says about an environment."""

    description: str = ""
    tags: list[str] = field(default_factory=list)
    owner_id: str = ""
    created_at: str = ""
    updated_at: str = ""
    # "Use environment defaults": runs of this environment merge in the default environment's config
    use_environment_defaults: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "tags": self.tags,
            "owner_id": self.owner_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "use_environment_defaults": self.use_environment_defaults,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Metadata:
        return cls(
            description=str(data.get("description", "")),
            tags=[str(tag) for tag in data.get("tags", [])],
            owner_id=str(data.get("owner_id", "")),
            created_at=str(data.get("created_at", "")),
            updated_at=str(data.get("updated_at", "")),
            use_environment_defaults=data.get("use_environment_defaults", True) is not False,
        )


@dataclass
class Environment:
    name: str
    config: dict[str, Any]
    metadata: Metadata
    dataloaders: list[str]


@dataclass
class Bundle:
    """What travels in an export: the config, each dataloader file's content, the LyCORIS config, metadata."""

    config: dict[str, Any]
    dataloaders: dict[str, Any] = field(default_factory=dict)
    lycoris: Any = None
    metadata: Metadata = field(default_factory=Metadata)
    name: str = ""  # the name the document was exported under ("" for a bare config)

    def files(self) -> dict[str, Any]:
        """File name to content, as the environment's folder holds them."""
        files = {CONFIG_FILE: self.config, **self.dataloaders}
        if self.lycoris is not None:
            files[LYCORIS_FILE] = self.lycoris
        return files


def dataloader_file(name: str) -> str:
    """A dataloader file name as an environment holds it: one path component, `multidatabackend*.json`."""
    if not DATALOADER_NAME.match(name):
        raise InvalidArgument(
            f"{name!r} is not a dataloader file name: use multidatabackend.json or multidatabackend-<label>.json",
            field="dataloaders",
        )
    return name


def retarget(path: str, old: str, new: str) -> str:
    """`path` with each folder named `old` renamed `new` (output/old/x → output/new/x); other text untouched."""
    return "/".join(new if part == old else part for part in path.split("/"))


def retarget_config(config: dict[str, Any], old: str, new: str, names: frozenset[str]) -> dict[str, Any]:
    """The config with the path options in `names` retargeted from environment `old` to `new`."""
    return {
        key: retarget(value, old, new) if bare(key) in names and isinstance(value, str) else value
        for key, value in config.items()
    }


def copied_config(config: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy's config: its own dataloader and LyCORIS files, and an output folder of its own, so the two
    environments never resume from (or overwrite) each other's checkpoints."""
    copied = retarget_config(config, old, new, OWN_PATHS)
    for key, value in config.items():
        if bare(key) == "output_dir" and isinstance(value, str) and value and copied[key] == value:
            copied[key] = f"{value.rstrip('/')}/{new}"  # the folder did not name the source: keep it, one level down
    return copied


def spelling(config: dict[str, Any], name: str) -> str:
    """How this config spells option `name`: as it already does, else as its other keys do (`--x` or `x`)."""
    for key in (f"--{name}", name):
        if key in config:
            return key
    dashed = not config or any(key.startswith("--") for key in config)
    return f"--{name}" if dashed else name


def export_document(bundle: Bundle, name: str, include_metadata: bool) -> dict[str, Any]:
    """`{"_metadata"?, "config", "dataloaders", "lycoris_config"?}`, values as read (numbers keep their spelling)."""
    document: dict[str, Any] = {}
    if include_metadata:
        document["_metadata"] = {"name": name, **bundle.metadata.to_json()}
    document["config"] = bundle.config
    document["dataloaders"] = bundle.dataloaders
    if bundle.lycoris is not None:
        document["lycoris_config"] = bundle.lycoris
    return document


def parse_document(document: Any) -> Bundle:
    """An exported document, or a bare config object (anything without a "config" key)."""
    if not isinstance(document, dict):
        raise InvalidArgument("the document must be a JSON object: an export or a config", field="data")
    meta = document.get("_metadata") or {}
    if not isinstance(meta, dict):
        raise InvalidArgument("_metadata must be an object", field="data")
    if "config" not in document:
        config = {key: value for key, value in document.items() if key != "_metadata"}
        return Bundle(config, metadata=_imported_metadata(meta), name=str(meta.get("name", "")))
    config, loaders, lycoris = document["config"], document.get("dataloaders"), document.get("lycoris_config")
    loaders = {} if loaders is None else loaders
    if not isinstance(config, dict):
        raise InvalidArgument("config must be a JSON object of options", field="config")
    if not isinstance(loaders, dict):
        raise InvalidArgument("dataloaders must map a file name to its list of datasets", field="dataloaders")
    for file, content in loaders.items():
        if not isinstance(content, list):
            raise InvalidArgument(f"dataloaders[{file!r}] must be a list of datasets", field="dataloaders")
    dataloaders = {dataloader_file(str(file)): content for file, content in loaders.items()}
    return Bundle(config, dataloaders, lycoris, _imported_metadata(meta), str(meta.get("name", "")))


def _imported_metadata(meta: dict[str, Any]) -> Metadata:
    """Description, tags and the defaults switch travel; owner and times belong to whoever imports, when they do."""
    tags = meta.get("tags", [])
    return Metadata(
        description=str(meta.get("description", "")),
        tags=[str(t) for t in tags if t is not None],
        use_environment_defaults=meta.get("use_environment_defaults", True) is not False,
    )


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
        if (self.root / name).is_symlink():  # it would alias another folder: deleting it would delete that one
            raise InvalidArgument(f"{name} is a symbolic link; an environment must be a real folder", field="name")
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
        config = _read_object(folder / CONFIG_FILE, "a JSON object of options")
        sidecar = folder / METADATA_FILE
        metadata = Metadata.from_json(_read_object(sidecar, "a JSON object")) if sidecar.is_file() else Metadata()
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

    def update(
        self,
        name: str,
        config: dict[str, Any],
        description: str | None,
        tags: list[str] | None,
        use_defaults: bool | None = None,
    ) -> Environment:
        current = self.get(name)
        folder = self.folder(name)
        metadata = current.metadata
        metadata.description = metadata.description if description is None else description
        metadata.tags = metadata.tags if tags is None else tags
        if use_defaults is not None:
            metadata.use_environment_defaults = use_defaults
        metadata.updated_at = _now()
        config_files.write_atomic(folder / CONFIG_FILE, config)
        config_files.write_atomic(folder / METADATA_FILE, metadata.to_json())
        return self.get(name)

    def bundle(self, name: str) -> Bundle:
        """The environment's files, for an export."""
        environment = self.get(name)
        folder = self.folder(name)
        dataloaders = {file: config_files.read(folder / file) for file in environment.dataloaders}
        lycoris = config_files.read(folder / LYCORIS_FILE) if (folder / LYCORIS_FILE).is_file() else None
        return Bundle(environment.config, dataloaders, lycoris, environment.metadata, name)

    def lycoris(self, name: str) -> Any:
        """lycoris_config.json's content (None when the environment has none)."""
        self.get(name)  # a missing environment is NotFound, not "no LyCORIS config"
        path = self.folder(name) / LYCORIS_FILE
        return config_files.read(path) if path.is_file() else None

    def write_file(self, name: str, file: str, value: Any) -> None:
        """Replace one file of the environment (a dataloader or the LyCORIS config) and note the change."""
        current = self.get(name)
        folder = self.folder(name)
        config_files.write_atomic(folder / file, value)
        current.metadata.updated_at = _now()
        config_files.write_atomic(folder / METADATA_FILE, current.metadata.to_json())

    def install(self, name: str, files: dict[str, Any], metadata: Metadata, overwrite: bool = False) -> Environment:
        """Write a whole environment in a hidden folder beside the others, then move it into place by rename,
        so nobody reads a half-imported one; `overwrite` swaps out an existing one the same way."""
        folder = self.folder(name)
        if folder.exists() and not (overwrite and (folder / CONFIG_FILE).is_file()):
            raise AlreadyExists(f"an environment named {name} already exists", name=name)
        token = uuid.uuid4().hex
        staging, replaced = self.root / f".staging-{token}", self.root / f".replaced-{token}"
        staging.mkdir()  # mkdir, not mkdtemp: the folder keeps the usual (umask) permissions once in place
        try:
            metadata.created_at = metadata.updated_at = _now()
            for file, value in files.items():
                config_files.write_atomic(staging / file, value)
            config_files.write_atomic(staging / METADATA_FILE, metadata.to_json())
            if folder.exists():
                folder.rename(replaced)
            try:
                staging.rename(folder)
            except OSError as exc:  # another writer made the folder between our check and the rename
                if replaced.exists() and not folder.exists():
                    replaced.rename(folder)
                raise AlreadyExists(f"an environment named {name} appeared meanwhile; try again", name=name) from exc
            shutil.rmtree(replaced, ignore_errors=True)  # only once the new one is in place
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.get(name)

    def delete(self, name: str) -> None:
        self.get(name)
        shutil.rmtree(self.folder(name))

    def copy(self, name: str, target: str, owner_id: str) -> Environment:
        """Every file of the folder, under a new name whose paths (see OWN_PATHS) are the copy's own; built
        in a hidden folder and moved into place, so nobody reads a copy still pointing at its source."""
        source = self.get(name)
        destination = self.folder(target)
        if destination.exists():
            raise AlreadyExists(f"an environment named {target} already exists", name=target)
        staging = self.root / f".staging-{uuid.uuid4().hex}"
        try:
            shutil.copytree(self.folder(name), staging)
            metadata = Metadata(
                source.metadata.description,
                list(source.metadata.tags),
                owner_id,
                _now(),
                _now(),
                source.metadata.use_environment_defaults,
            )
            config_files.write_atomic(staging / CONFIG_FILE, copied_config(source.config, name, target))
            config_files.write_atomic(staging / METADATA_FILE, metadata.to_json())
            try:
                staging.rename(destination)
            except OSError as exc:  # another writer made the folder between our check and the rename
                message = f"an environment named {target} appeared meanwhile; try again"
                raise AlreadyExists(message, name=target) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.get(target)

    def rename(self, name: str, target: str) -> Environment:
        """Move the folder, then point the config's own paths (see OWN_PATHS) at the new name."""
        current = self.get(name)
        destination = self.folder(target)
        if destination.exists():
            raise AlreadyExists(f"an environment named {target} already exists", name=target)
        self.folder(name).rename(destination)
        moved = retarget_config(current.config, name, target, OWN_PATHS)
        if moved != current.config:
            config_files.write_atomic(destination / CONFIG_FILE, moved)
        return self.get(target)

    def resolved(self, name: str, submitted: dict[str, Any], use_defaults: bool = True) -> dict[str, Any]:
        """The config a run would use: catalogue defaults, default env (when both the request and the environment
        want it: "Use environment defaults"), this env, then `submitted`."""
        environment = self.get(name)
        layers = [catalogue_defaults()]
        wanted = use_defaults and environment.metadata.use_environment_defaults
        if wanted and name != DEFAULT_ENVIRONMENT and self.exists(DEFAULT_ENVIRONMENT):
            layers.append(self.get(DEFAULT_ENVIRONMENT).config)
        return merge(*layers, environment.config, submitted)


def _read_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from one of an environment's files; anything else is a problem naming the file."""
    try:
        value = config_files.read(path)
    except (ValueError, OSError) as exc:
        raise InvalidArgument(f"{path} cannot be read as JSON ({exc}); fix or remove it") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{path} must hold {what}")
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
