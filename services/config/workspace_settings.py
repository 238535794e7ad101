"""The workspace's folders and onboarding progress: the service's settings are the defaults, and what an
administrator saves (a JSON file in the workspace's private dir) overrides them while the service runs.

Every part of the config service that needs configs_dir, datasets_dir or output_dir asks one WorkspaceDirs,
so a folder changed here is the folder used by the next call.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simpletuner.libs.rpc.errors import InvalidArgument

from . import config_files
from .settings import ConfigSettings

log = logging.getLogger("simpletuner.config.workspace_settings")

SETTINGS_FILE = "workspace-settings.json"
FOLDERS = ("configs_dir", "datasets_dir", "output_dir")
WRITABLE = os.W_OK | os.X_OK


@dataclass(frozen=True)
class Folders:
    """The three folders of a workspace, absolute."""

    configs_dir: Path
    datasets_dir: Path
    output_dir: Path


@dataclass(frozen=True)
class Saved:
    """What the settings file holds: the folders someone chose (None: the default) and onboarding progress."""

    chosen: dict[str, str | None] = field(default_factory=dict)
    completed_steps: tuple[str, ...] = ()
    onboarding_complete: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: self.chosen.get(name) for name in FOLDERS},
            "completed_steps": list(self.completed_steps),
            "onboarding_complete": self.onboarding_complete,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Saved:
        chosen = {name: str(data[name]) if data.get(name) else None for name in FOLDERS}
        steps = tuple(str(step) for step in data.get("completed_steps") or [])
        return cls(chosen, steps, bool(data.get("onboarding_complete", False)))


@dataclass(frozen=True)
class Change:
    """An update: folders to set ("" back to the default), steps to add or (replace_steps) the whole list."""

    folders: dict[str, str] = field(default_factory=dict)
    completed_steps: tuple[str, ...] = ()
    replace_steps: bool = False
    onboarding_complete: bool | None = None


@dataclass(frozen=True)
class Snapshot:
    """The settings in effect."""

    workspace: Path
    folders: Folders
    defaults: Folders
    completed_steps: tuple[str, ...]
    onboarding_complete: bool


class WorkspaceDirs:
    """The folders in effect now, and the onboarding progress; updates are checked, then saved atomically."""

    def __init__(self, workspace: Path, defaults: Folders, file: Path | None = None, private_dir: Path | None = None):
        self.workspace = workspace
        self.defaults = defaults
        self._file = file
        self._private_dir = private_dir.resolve() if private_dir else None
        self._lock = threading.Lock()
        self._saved = self._load()

    @classmethod
    def from_settings(cls, settings: ConfigSettings) -> WorkspaceDirs:
        defaults = Folders(
            settings.effective_configs_dir, settings.effective_datasets_dir, settings.effective_output_dir
        )
        private = settings.stack.private_dir
        return cls(settings.stack.workspace, defaults, private / SETTINGS_FILE, private)

    @classmethod
    def fixed(cls, configs_dir: Path, datasets_dir: Path) -> WorkspaceDirs:
        """Folders that never change and are never saved (tools and unit tests); the workspace holds configs_dir."""
        configs = configs_dir.resolve()
        return cls(configs.parent, Folders(configs, datasets_dir.resolve(), configs.parent / "output"))

    @property
    def configs_dir(self) -> Path:
        return self._folder("configs_dir")

    @property
    def datasets_dir(self) -> Path:
        return self._folder("datasets_dir")

    @property
    def output_dir(self) -> Path:
        return self._folder("output_dir")

    def output_path(self, relative: str) -> str:
        """`relative` inside output_dir, as a config writes it: relative to the workspace when output_dir is in
        it (SimpleTuner's own `output/<name>`), else absolute."""
        path = self.output_dir / relative
        return path.relative_to(self.workspace).as_posix() if path.is_relative_to(self.workspace) else str(path)

    def snapshot(self) -> Snapshot:
        saved = self._saved
        folders = Folders(self.configs_dir, self.datasets_dir, self.output_dir)
        return Snapshot(self.workspace, folders, self.defaults, saved.completed_steps, saved.onboarding_complete)

    def update(self, change: Change) -> Snapshot:
        """Check every folder first (nothing is saved when one is refused), then save and apply all at once."""
        with self._lock:
            current = self._saved
            chosen = dict(current.chosen)
            for name, value in change.folders.items():
                chosen[name] = self._checked(name, value)
            self._check_apart(chosen)
            steps = change.completed_steps if change.replace_steps else current.completed_steps
            if not change.replace_steps:
                steps += tuple(step for step in change.completed_steps if step not in steps)
            complete = current.onboarding_complete if change.onboarding_complete is None else change.onboarding_complete
            saved = replace(current, chosen=chosen, completed_steps=tuple(dict.fromkeys(steps)))
            saved = replace(saved, onboarding_complete=complete)
            if self._file is not None:
                config_files.write_atomic(self._file, saved.to_json())
            self._saved = saved
        return self.snapshot()

    def _folder(self, name: str) -> Path:
        chosen = self._saved.chosen.get(name)
        return Path(chosen) if chosen else getattr(self.defaults, name)

    def _load(self) -> Saved:
        if self._file is None or not self._file.is_file():
            return Saved()
        try:
            data = config_files.read(self._file)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (ValueError, OSError) as exc:
            raise RuntimeError(
                f"{self._file} cannot be read ({exc}); fix it, or delete it to go back to the default folders"
            ) from None
        return Saved.from_json(data)

    def _checked(self, name: str, value: str) -> str | None:
        """The absolute folder to store for `name` (None: back to the default), or why it cannot be used."""
        text = value.strip()
        if not text:
            return None
        path = Path(text).expanduser()
        if not path.is_absolute():
            raise InvalidArgument(
                f"{name} must be an absolute path such as {getattr(self.defaults, name)} (got {value!r})", field=name
            )
        path = path.resolve()
        if self._private_dir is not None and (path == self._private_dir or path.is_relative_to(self._private_dir)):
            raise InvalidArgument(
                f"{name} {path} is inside {self._private_dir}, which holds the server's databases and keys; "
                "pick a folder outside it",
                field=name,
            )
        _ensure_writable_folder(name, path)
        return None if path == getattr(self.defaults, name) else str(path)

    def _check_apart(self, chosen: dict[str, str | None]) -> None:
        """Environments, datasets and outputs in one folder would show up in each other's listings."""
        paths = {name: Path(chosen.get(name) or getattr(self.defaults, name)) for name in FOLDERS}
        for index, first in enumerate(FOLDERS):
            for second in FOLDERS[index + 1 :]:
                if paths[first] == paths[second]:
                    raise InvalidArgument(
                        f"{first} and {second} are both {paths[first]}; give each its own folder", field=second
                    )


def _ensure_writable_folder(name: str, path: Path) -> None:
    """Create the folder when missing; refuse a file, a folder that cannot be made, or one we cannot write."""
    if path.exists() and not path.is_dir():
        raise InvalidArgument(f"{name} {path} is a file, not a folder; pick a folder", field=name)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidArgument(
            f"{name} {path} cannot be created ({exc.strerror or exc}); create it yourself or pick a folder "
            "this server may write to",
            field=name,
        ) from None
    try:  # os.access answers yes to root even on a read-only mount: a real file tells the truth
        if not os.access(path, WRITABLE):
            raise PermissionError
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        raise InvalidArgument(
            f"{name} {path} is not writable by this server; change its permissions or pick another folder",
            field=name,
        ) from None
