"""A resolved training config: every catalogue option with its typed value, checked with the validator's rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simpletuner.libs import options
from simpletuner.libs.options import validation

HUB_TOKEN_VARIABLE = "HF_TOKEN"  # where a run finds its owner's Hub token (huggingface_hub reads it too)


class ConfigError(ValueError):
    """The config cannot train; the message lists every problem, each naming the option and the fix."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"--{field}: {message}" for field, message in problems))


class RunConfig:
    """Option values by bare name (catalogue defaults filled in) and the workspace relative paths resolve against."""

    def __init__(self, values: Mapping[str, Any], workspace: Path, job_id: str = "") -> None:
        self._values = dict(values)
        self.workspace = workspace
        self.job_id = job_id

    @classmethod
    def load(cls, raw: Mapping[str, Any], workspace: Path, configs_dir: Path, job_id: str = "") -> RunConfig:
        """Coerce text values, fill defaults, run the same checks as POST /api/training/validate."""
        report = validation.Report()
        given = validation.coerce(dict(raw), report)
        explicit = set(given)
        values = {option.name: option.default for option in options.CATALOGUE} | given
        found = validation.check(values, explicit, configs_dir, workspace)
        problems = report.errors + found.errors
        if problems:
            raise ConfigError(problems)
        if "max_train_steps" in explicit and "num_train_epochs" not in explicit:
            values["num_train_epochs"] = 0  # steps someone asked for win over the catalogue's default epochs
        return cls(values, workspace, job_id)

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            raise KeyError(f"{name} is not an option of the catalogue (libs/options)")
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def replace(self, **values: Any) -> RunConfig:
        """A copy with some values changed."""
        return RunConfig(self._values | values, self.workspace, self.job_id)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def path(self, name: str) -> Path | None:
        """A path option, relative ones taken from the workspace; None when unset."""
        value = self._values.get(name)
        if value in (None, ""):
            return None
        given = Path(str(value)).expanduser()
        return given if given.is_absolute() else self.workspace / given

    @property
    def model_family(self) -> str:
        return str(self["model_family"])

    @property
    def output_dir(self) -> Path:
        found = self.path("output_dir")
        if found is None:
            raise ConfigError([("output_dir", "is required: where checkpoints and the final model go")])
        return found
