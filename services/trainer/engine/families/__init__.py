"""Model families: one module each behind the ModelFamily interface, found by their model_family name."""

from __future__ import annotations

import importlib

from .base import ModelFamily

# model_family -> module under this package that defines exactly one ModelFamily subclass named FAMILY.
MODULES: dict[str, str] = {
    "sd1x": "stable_diffusion",
    "sd2x": "stable_diffusion",
    "sdxl": "sdxl",
    "sd3": "sd3",
    "flux": "flux",
    "pixart_sigma": "pixart",
    "sana": "sana",
}


def family_class(name: str) -> type[ModelFamily]:
    """The ModelFamily subclass for `name` (imports its module on first use)."""
    if name not in MODULES:
        raise ValueError(f"unknown model_family {name!r}; choose one of {', '.join(MODULES)}")
    module = importlib.import_module(f"{__name__}.{MODULES[name]}")
    family: type[ModelFamily] = module.FAMILY
    return family
