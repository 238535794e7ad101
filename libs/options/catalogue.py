"""The catalogue itself: every option by tab, by name and by alias."""

from __future__ import annotations

from .advanced_options import OPTIONS as _ADVANCED
from .model_options import OPTIONS as _MODEL
from .publishing_options import OPTIONS as _PUBLISHING
from .spec import Option
from .training_options import OPTIONS as _TRAINING
from .validation_options import OPTIONS as _VALIDATION

CATALOGUE: tuple[Option, ...] = (*_MODEL, *_TRAINING, *_VALIDATION, *_PUBLISHING, *_ADVANCED)
BY_NAME: dict[str, Option] = {option.name: option for option in CATALOGUE}
_BY_ALIAS: dict[str, Option] = {alias: option for option in CATALOGUE for alias in option.aliases}


def find(name: str) -> Option | None:
    """The option called `name` (or one of its aliases), whether written `--name` or `name`."""
    return BY_NAME.get(bare(name)) or _BY_ALIAS.get(bare(name))


def bare(key: str) -> str:
    """`--learning_rate` and `learning_rate` name the same option."""
    return key.removeprefix("--")
