"""What one training option is: its name, type, default, choices, help, UI place, families and rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The value type of an option (how the CLI parses it, how the UI renders it, how it is validated)."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STRING = "string"
    PATH = "path"
    CHOICE = "choice"
    JSON = "json"


class Tab(StrEnum):
    """The web UI tabs, in display order."""

    MODEL = "model"
    TRAINING = "training"
    DATASETS = "datasets"
    VALIDATION = "validation"
    PUBLISHING = "publishing"
    ADVANCED = "advanced"


# The model families the trainer supports (the trainer registers one implementation per name).
MODEL_FAMILIES: tuple[str, ...] = ("sd1x", "sd2x", "sdxl", "sd3", "flux", "pixart_sigma", "sana")
ALL_FAMILIES: tuple[str, ...] = ()  # an empty families tuple means "every family"


@dataclass(frozen=True)
class Option:
    """One `--name value` the trainer understands."""

    name: str
    kind: Kind
    default: Any
    help: str
    tab: Tab
    group: str
    choices: tuple[str, ...] = ()
    families: tuple[str, ...] = ALL_FAMILIES
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    allow_empty: bool = False
    permission: str = ""  # a permission needed to set it, beyond editing the config (e.g. admin.config)
    aliases: tuple[str, ...] = field(default=())

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    def applies_to(self, family: str) -> bool:
        return not self.families or family in self.families
