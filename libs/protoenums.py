"""Lower-case names of a proto enum's values (RESOURCE_TYPE_OUTPUT_PATH -> "output_path"): the proto is the list."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


def value_name(enum: Any, prefix: str, number: int) -> str:
    """One value's name without `prefix`, lower-cased ("" for the *_UNSPECIFIED zero value)."""
    return "" if not number else str(enum.Name(number)).removeprefix(prefix).lower()


def value_names(enum: Any, prefix: str) -> tuple[str, ...]:
    """Every value's name without `prefix`, lower-cased, skipping the *_UNSPECIFIED zero value."""
    return tuple(value_name(enum, prefix, number) for number in enum.values() if number != 0)


def names_enum(class_name: str, enum: Any, prefix: str) -> type[StrEnum]:
    """A StrEnum of those names, for request models (validation and the OpenAPI schema list them)."""
    return StrEnum(class_name, {name: name for name in value_names(enum, prefix)})  # type: ignore[return-value]
