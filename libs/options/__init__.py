"""The one options catalogue: every `--option` the trainer understands, for the CLI, validator, API, UI and docs."""

from __future__ import annotations

from .catalogue import BY_NAME, CATALOGUE, bare, find
from .spec import MODEL_FAMILIES, Kind, Option, Tab

__all__ = ["BY_NAME", "CATALOGUE", "MODEL_FAMILIES", "Kind", "Option", "Tab", "bare", "find"]
