"""The one options catalogue: every `--option` the trainer understands, for the CLI, validator, API, UI and docs."""

from __future__ import annotations

from .advanced_options import OPTIONS as _ADVANCED
from .model_options import OPTIONS as _MODEL
from .publishing_options import OPTIONS as _PUBLISHING
from .spec import MODEL_FAMILIES, Kind, Option, Tab
from .training_options import OPTIONS as _TRAINING
from .validation_options import OPTIONS as _VALIDATION

CATALOGUE: tuple[Option, ...] = (*_MODEL, *_TRAINING, *_VALIDATION, *_PUBLISHING, *_ADVANCED)
BY_NAME: dict[str, Option] = {option.name: option for option in CATALOGUE}
_BY_ALIAS: dict[str, Option] = {alias: option for option in CATALOGUE for alias in option.aliases}

__all__ = ["BY_NAME", "CATALOGUE", "MODEL_FAMILIES", "Kind", "Option", "Tab", "find"]


def find(name: str) -> Option | None:
    """The option called `name` (or one of its aliases), whether written `--name` or `name`."""
    bare = name.removeprefix("--")
    return BY_NAME.get(bare) or _BY_ALIAS.get(bare)
