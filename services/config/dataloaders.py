"""Environments' dataloader files (multidatabackend*.json) as the API reads and replaces them.

Which file an environment uses, its etag, and the checks a replacement must pass: the schema of
libs.options.dataloader (what SimpleTuner accepts) plus what this trainer can run. Problems name the
entry and key as `datasets[2].crop_style`, the way the API's callers send the list.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from simpletuner.api.common.v1 import common_pb2
from simpletuner.libs import jsontext
from simpletuner.libs.db.database import Database
from simpletuner.libs.options import bare
from simpletuner.libs.options import dataloader as schema
from simpletuner.libs.rpc.errors import InvalidArgument, ServiceError

from . import store as settings
from .environments import DATALOADER_NAME, EnvironmentStore, spelling

SOURCE = "datasets"  # how problems name the list (and the gateway's body field)
_PATH = re.compile(r"^datasets(?:\[(\d+)\])?(?:\.(.+))?$")
_WARNING = re.compile(r"^(datasets(?:\[\d+\])?(?:\.\S+)?) (.*)$", re.DOTALL)
# Check-then-write of one file is one step: the config service is one process, so a lock is enough.
_WRITES = threading.Lock()


class Conflict(ServiceError):
    """The file changed since the caller read it (AIP-154: an etag that no longer matches)."""

    code = grpc.StatusCode.ABORTED
    reason = common_pb2.ERROR_REASON_FAILED_PRECONDITION


@dataclass(frozen=True)
class Problem:
    field: str  # datasets, datasets[2] or datasets[2].crop_style
    message: str
    index: int | None = None
    dataset_id: str = ""
    key: str = ""


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class DataloaderFile:
    """One dataloader file of an environment, as read."""

    environment: str
    file: str
    absolute: Path
    exists: bool
    text: str  # exactly as stored ("[]" when the file does not exist)
    etag: str
    data: Any  # the parsed content (None when it is not JSON)
    report: Report

    @property
    def path(self) -> str:
        """As data_backend_config names it."""
        return f"{self.environment}/{self.file}"


@dataclass(frozen=True)
class Written:
    """What a replacement did."""

    saved: bool
    file: DataloaderFile | None  # the file as stored (when saved or replayed)
    submitted: Any
    report: Report
    replayed: bool = False
    config_updated: bool = False


def etag_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def starter_text_embeds(name: str) -> dict[str, Any]:
    """The text_embeds entry a new environment gets: the default one, cached under cache/text/<name>."""
    return {
        "id": f"{name}-text-embeds",
        "type": "local",
        "dataset_type": "text_embeds",
        "default": True,
        "cache_dir": f"cache/text/{name}",
    }


def with_text_embeds(data: Any, name: str) -> Any:
    """`data` plus the starter text_embeds entry when it has no enabled one (anything but a list unchanged)."""
    if not isinstance(data, list):
        return data
    enabled = [
        entry
        for entry in data
        if isinstance(entry, dict) and entry.get("dataset_type") == "text_embeds" and not _disabled(entry)
    ]
    if enabled:
        return data
    entry = starter_text_embeds(name)
    taken = {entry.get("id") for entry in data if isinstance(entry, dict)}
    suffix = 2
    while entry["id"] in taken:
        entry["id"] = f"{name}-text-embeds-{suffix}"
        suffix += 1
    return [*data, entry]


def _disabled(entry: dict[str, Any]) -> bool:
    return bool(entry.get("disabled", entry.get("disable", False)))


def check(data: Any, workspace_dir: Path) -> Report:
    """What a run would refuse in `data` (errors), and what is worth a look (warnings)."""
    try:
        entries, warnings = schema.parse_dataloader(data, SOURCE)
    except schema.DataloaderError as exc:
        return Report([problem(p.path, f"{p.message}. {p.fix}", data) for p in exc.problems])
    errors = [problem(p.path, f"{p.message}. {p.fix}", data) for p in schema.unsupported(entries, SOURCE)]
    report = Report(errors, [_warning(text, data) for text in warnings])
    report.warnings += _folder_warnings(entries, workspace_dir, data)
    if not any(entry.dataset_type == "image" and not entry.disabled for entry in entries):
        fix = 'a run needs one: add a folder of images with "dataset_type": "image"'
        report.warnings.append(Problem(SOURCE, f"has no enabled image dataset; {fix}"))
    return report


def problem(path: str, message: str, data: Any) -> Problem:
    """A problem at a JSON path of the list, with the entry's index, id and key picked out of the path."""
    match = _PATH.match(path)
    if match is None:
        return Problem(path, message)
    index = int(match.group(1)) if match.group(1) is not None else None
    entry = data[index] if index is not None and isinstance(data, list) and index < len(data) else None
    dataset_id = entry.get("id") if isinstance(entry, dict) else None
    key = (match.group(2) or "").split(".")[0].split("[")[0]
    return Problem(path, message, index, dataset_id if isinstance(dataset_id, str) else "", key)


def _warning(text: str, data: Any) -> Problem:
    """The validator's warnings are sentences that start with their JSON path."""
    match = _WARNING.match(text)
    return problem(match.group(1), match.group(2), data) if match else Problem(SOURCE, text)


def _folder_warnings(entries: list[schema.DatasetEntry], workspace_dir: Path, data: Any) -> list[Problem]:
    found = []
    for index, entry in enumerate(entries):
        if entry.disabled or entry.type != "local" or not entry.instance_data_dir:
            continue
        folder = Path(entry.instance_data_dir).expanduser()
        folder = folder if folder.is_absolute() else workspace_dir / folder
        if not folder.is_dir():
            message = f"the folder {folder} does not exist (yet); upload the images there, or pick another folder"
            found.append(problem(f"{SOURCE}[{index}].instance_data_dir", message, data))
    return found


def configured_file(config: dict[str, Any], folder: Path, configs_dir: Path, workspace_dir: Path) -> str | None:
    """The dataloader file of `folder` that the config's data_backend_config names (None: it names none there)."""
    value = {bare(key): item for key, item in config.items()}.get("data_backend_config")
    if not isinstance(value, str) or not value:
        return None
    given = Path(value).expanduser()
    candidates = [given] if given.is_absolute() else [configs_dir / given, workspace_dir / given]
    if not given.is_absolute() and given.parts[:1] in (("config",), ("configs",)):
        candidates.insert(1, configs_dir.joinpath(*given.parts[1:]))  # SimpleTuner's config/<env>/... spelling
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.parent == folder and DATALOADER_NAME.match(resolved.name):
            return resolved.name
    return None


def write_key(name: str, file: str) -> str:
    """The setting remembering the last write of one file (hashed: names may be longer than the key column)."""
    return "dataloader_write:" + hashlib.sha256(f"{name}/{file}".encode()).hexdigest()[:40]


class Dataloaders:
    """The dataloader files of one EnvironmentStore (permission checks are the caller's)."""

    def __init__(self, store: EnvironmentStore, workspace_dir: Path, db: Database) -> None:
        self.store = store
        self.workspace_dir = workspace_dir
        self.db = db

    def choose(self, name: str, file: str) -> str:
        """`file` when given, else the one the config names in the environment's folder, else the default."""
        if file:
            return own_file(name, file, "file")
        return self._configured(name, self.store.get(name).config) or schema.DEFAULT_SOURCE

    def _configured(self, name: str, config: dict[str, Any]) -> str | None:
        return configured_file(config, self.store.folder(name), self.store.root, self.workspace_dir)

    def read(self, name: str, file: str) -> DataloaderFile:
        environment = self.store.get(name)
        absolute = self.store.folder(name) / file
        exists = absolute.is_file()
        if absolute.is_symlink():
            raise InvalidArgument(f"{name}/{file} is a symbolic link; a dataloader file must be a real file")
        text = absolute.read_text(encoding="utf-8") if exists else "[]"
        try:
            data = jsontext.loads(text)
        except ValueError as exc:
            fix = "fix the syntax in the file, or replace it with a JSON list of dataset entries"
            report = Report([Problem(SOURCE, f"{file} is not valid JSON ({exc}); {fix}")])
            return DataloaderFile(name, file, absolute, exists, text, etag_of(text), None, report)
        report = check(data, self.workspace_dir) if exists else Report()
        report.warnings += self._unread(name, file, environment.config)
        return DataloaderFile(name, file, absolute, exists, text, etag_of(text), data, report)

    def replace(
        self, name: str, file: str, text: str, etag: str, ensure_text_embeds: bool, request: tuple[str, str]
    ) -> Written:
        """Check the submitted list, then (without problems) write it in place of the file.

        `request` is (caller, request_id): a retry of a write that went through answers what it wrote.
        """
        if request[1] and (earlier := self._replayed(name, file, request)) is not None:
            return earlier
        try:
            data = jsontext.loads(text)
        except ValueError as exc:
            report = Report([Problem(SOURCE, f"is not valid JSON ({exc}); send a JSON list of dataset entries")])
            return Written(False, None, None, report)
        if ensure_text_embeds:
            data = with_text_embeds(data, name)
        report = check(data, self.workspace_dir)
        if report.errors:
            return Written(False, None, data, report)
        with _WRITES:
            current = self.read(name, file)
            if etag and etag != current.etag:
                raise Conflict(
                    f"{current.path} changed since you read it; reload it, redo your change and save again",
                    path=current.path,
                )
            self.store.write_file(name, file, data)
            config_updated = self._point_config_at(name, file)
            stored = self.read(name, file)
        if request[1]:
            with self.db.session() as db:
                remembered = {"caller": request[0], "request_id": request[1], "etag": stored.etag}
                settings.set_setting(db, write_key(name, file), remembered)
        return Written(True, stored, data, stored.report, config_updated=config_updated)

    def _replayed(self, name: str, file: str, request: tuple[str, str]) -> Written | None:
        """The answer to an earlier call with this request id, while the file is still what that call wrote."""
        with self.db.session() as db:
            earlier = settings.get_setting(db, write_key(name, file))
        if not earlier or [earlier.get("caller"), earlier.get("request_id")] != list(request):
            return None
        current = self.read(name, file)
        if current.etag != earlier.get("etag"):
            return None  # changed since: the retry is a new write
        return Written(True, current, current.data, current.report, replayed=True)

    def _point_config_at(self, name: str, file: str) -> bool:
        """A config that names no dataloader file is pointed at this one (as a new environment's is)."""
        config = self.store.get(name).config
        if {bare(key): value for key, value in config.items()}.get("data_backend_config"):
            return False
        config[spelling(config, "data_backend_config")] = f"{name}/{file}"
        self.store.update(name, config, None, None)
        return True

    def _unread(self, name: str, file: str, config: dict[str, Any]) -> list[Problem]:
        """A warning when the environment's runs read another dataloader file than this one (a config naming
        none is pointed at the file on its first write, so it needs none)."""
        value = {bare(key): item for key, item in config.items()}.get("data_backend_config")
        if not value or self._configured(name, config) == file:
            return []
        message = (
            f"the environment's config reads {value}, not this file; "
            f"set data_backend_config to {name}/{file} for its runs to use it"
        )
        return [Problem(SOURCE, message)]


def own_file(name: str, path: str, field_name: str) -> str:
    """`path` as a file of environment `name`: `multidatabackend*.json` or `<name>/multidatabackend*.json`."""
    parts = path.split("/")
    file = parts[1] if len(parts) == 2 and parts[0] == name else path
    if not DATALOADER_NAME.match(file):
        raise InvalidArgument(
            f"{path!r} must be a multidatabackend*.json file inside environment {name}, "
            "e.g. multidatabackend.json or multidatabackend-extra.json",
            field=field_name,
        )
    return file
