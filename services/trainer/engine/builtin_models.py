"""Built-in tiny models: `pretrained_model_name_or_path: simpletuner/tiny-<family>` names a model with random
weights that is built locally on first use (under <workspace>/models) instead of downloaded. The tiny-demo
example trains one, so a first run works offline in about a minute on a CPU."""

from __future__ import annotations

from pathlib import Path

from . import tiny_models
from .run_config import ConfigError, RunConfig

PREFIX = "simpletuner/tiny-"


def local_model(config: RunConfig) -> RunConfig:
    """The config with a built-in model id replaced by the folder it was built into; others unchanged."""
    name = str(config["pretrained_model_name_or_path"] or "")
    if not name.startswith(PREFIX):
        return config
    family = name.removeprefix(PREFIX)
    if family not in tiny_models.MODULES:
        known = ", ".join(PREFIX + f for f in tiny_models.MODULES)
        raise ConfigError([("pretrained_model_name_or_path", f"{name} is not a built-in model; choose one of {known}")])
    folder: Path = tiny_models.build(family, config.workspace / "models" / f"tiny-{family}")
    return config.replace(pretrained_model_name_or_path=str(folder))
