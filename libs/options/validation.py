"""Checking a training config before a run (the config service and the trainer both ask): every problem names
the field and says how to fix it."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simpletuner.libs import jsontext
from simpletuner.libs.notify.targets import parse_webhook_config

from . import dataloader, flavours, hooks
from . import spec as options_spec
from .catalogue import BY_NAME, CATALOGUE, bare, find
from .spec import Kind

TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off", ""}
UNQUANTISED = {"no_change", "bf16"}


@dataclass
class Report:
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, name: str, message: str) -> None:
        self.errors.append((name, message))

    def warn(self, name: str, message: str) -> None:
        self.warnings.append((name, message))


def coerce(config: dict[str, Any], report: Report) -> dict[str, Any]:
    """Form fields arrive as text: turn each into its catalogue type (bad values become errors)."""
    typed: dict[str, Any] = {}
    for key, value in config.items():
        option = find(key)
        if option is None:
            report.warn(bare(key), "not a known option; it is kept as written (check the spelling)")
            typed[bare(key)] = value
            continue
        typed[option.name] = _typed(option, value, report)
    return typed


def _typed(option: options_spec.Option, value: Any, report: Report) -> Any:
    if not isinstance(value, str) or option.kind in (Kind.STRING, Kind.PATH):
        return value
    text = value.strip()
    try:
        if option.kind == Kind.BOOL:
            if text.lower() not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError
            return text.lower() in TRUE_WORDS
        if option.kind == Kind.INT:
            return int(text)
        if option.kind == Kind.FLOAT:
            return float(text)
        if option.kind == Kind.JSON:
            return json.loads(text) if text else None
    except ValueError:
        report.error(option.name, f"{value!r} is not a valid {option.kind.value}; give a {option.kind.value} value")
    return value


def check(config: dict[str, Any], explicit: set[str], configs_dir: Path, workspace: Path) -> Report:
    """Validate a resolved config (keys without dashes, values typed); `explicit` names what someone set."""
    report = Report()
    _check_values(config, report)
    _check_flavour(config, report)
    _check_required(config, report)
    _check_duration(config, explicit, report)
    _check_combinations(config, report)
    _check_hooks(config, report)
    _check_hub(config, report)
    _check_webhooks(config, report)
    if isinstance(config.get("data_backend_config"), str) and config["data_backend_config"]:
        _check_dataloader(config["data_backend_config"], configs_dir, workspace, report)
    if isinstance(config.get("deepspeed_config"), str) and config["deepspeed_config"]:
        _check_deepspeed_config(config, configs_dir, workspace, report)
    return report


def _check_values(config: dict[str, Any], report: Report) -> None:
    for name, value in config.items():
        option = BY_NAME.get(name)
        if option is None or value is None:
            continue
        if option.choices and str(value) not in option.choices:
            report.error(name, f"{value!r} is not one of: {', '.join(option.choices)}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if option.minimum is not None and value < option.minimum:
                report.error(name, f"must be at least {option.minimum:g} (got {value})")
            if option.maximum is not None and value > option.maximum:
                report.error(name, f"must be at most {option.maximum:g} (got {value})")


def _check_flavour(config: dict[str, Any], report: Report) -> None:
    """A flavour names a release of the family (an unknown family is reported by _check_values)."""
    family, flavour = config.get("model_family"), config.get("model_flavour")
    if not flavour or family not in flavours.FAMILIES:
        return
    known = flavours.names_of(str(family))
    if str(flavour) not in known:
        report.error(
            "model_flavour",
            f"{flavour!r} is not a flavour of {family}; use one of: {', '.join(known)} "
            "(or leave it empty and set pretrained_model_name_or_path)",
        )


def _check_required(config: dict[str, Any], report: Report) -> None:
    for option in CATALOGUE:
        if option.required and config.get(option.name) in (None, ""):
            report.error(option.name, f"{option.flag} is required: {option.help}")


def _check_duration(config: dict[str, Any], explicit: set[str], report: Report) -> None:
    epochs, steps = _number(config.get("num_train_epochs")), _number(config.get("max_train_steps"))
    if steps > 0 and "num_train_epochs" not in explicit:
        epochs = 0  # the catalogue's default epoch count yields to steps someone asked for
    if epochs <= 0 and steps <= 0:
        report.error("num_train_epochs", "Either num_train_epochs or max_train_steps must be greater than 0.")
    elif epochs > 0 and steps > 0:
        report.error(
            "max_train_steps", "num_train_epochs and max_train_steps cannot both be set. Set one of them to 0."
        )


def _check_combinations(config: dict[str, Any], report: Report) -> None:
    full = config.get("model_type") == "full"
    standard_lora = not full and config.get("lora_type", "standard") == "standard"
    if config.get("lora_format") == "comfyui" and not standard_lora:
        report.error("lora_format", "the comfyui layout is for standard LoRAs; use diffusers for LyCORIS or full")
    precision = str(config.get("base_model_precision") or "no_change")
    if full and precision not in UNQUANTISED:
        report.error(
            "base_model_precision",
            f"{precision} quantises the base model, which a full fine-tune trains: use no_change, or model_type=lora",
        )
    if not full and str(config.get("deepspeed_stage") or "0") != "0":
        report.error("deepspeed_stage", "DeepSpeed is for full fine-tunes; set deepspeed_stage to 0 for a LoRA")
    if not full and config.get("deepspeed_config"):
        report.error("deepspeed_config", "DeepSpeed is for full fine-tunes; leave deepspeed_config empty for a LoRA")
    _check_fsdp(config, full, report)
    _check_engine_support(config, report)


def _check_webhooks(config: dict[str, Any], report: Report) -> None:
    try:
        parse_webhook_config(config.get("webhook_config"))
    except ValueError as exc:
        report.error("webhook_config", str(exc))


def _check_hub(config: dict[str, Any], report: Report) -> None:
    """A run that uploads needs a repository id the Hub accepts; refused now rather than after hours of training."""
    repo = config.get("hub_model_id")
    if config.get("push_to_hub"):
        if not repo:
            report.error("hub_model_id", "set the repository to upload to, as name or owner/name (push_to_hub is on)")
        elif (problem := _repo_id_problem(str(repo))) is not None:
            report.error("hub_model_id", f"{repo!r} is not a Hub repository id: {problem}")
    elif config.get("push_checkpoints_to_hub"):
        report.error(
            "push_checkpoints_to_hub",
            "checkpoints go to push_to_hub's repository: turn push_to_hub on too, or leave it off",
        )


def _repo_id_problem(repo: str) -> str | None:
    """What is wrong with a repository id by the Hub's rules (huggingface_hub's own check), in our words."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id  # imported only for configs that upload

    try:
        validate_repo_id(repo)
    except HFValidationError:
        if repo.count("/") > 1:
            return "give name or owner/name, not a URL or a path"
        if "--" in repo or ".." in repo:
            return "it cannot contain '--' or '..'"
        return (
            "use letters, digits, '-', '_' and '.' (at most 96 characters, not starting or ending with '-' or '.'), "
            "as name or owner/name"
        )
    return None


def _check_hooks(config: dict[str, Any], report: Report) -> None:
    """A bad command template is refused before the run, not at the first checkpoint hours in."""
    for name in hooks.COMMAND_OPTIONS:
        if config.get(name):
            try:
                hooks.parse(str(config[name]))
            except hooks.TemplateError as exc:
                report.error(name, str(exc))
    if config.get("validation_method") == "external-script" and not config.get("validation_external_script"):
        report.error(
            "validation_external_script",
            "is required when validation_method is external-script; give the command, or use simpletuner-local",
        )


# Settings the catalogue names (SimpleTuner has them) that this engine cannot honour yet: refused, never ignored,
# each with the fix.
ZERO3_FIX = (
    "use deepspeed_stage 2 (ZeRO-3 partitions the weights, which validation, EMA and the final save "
    "do not gather yet) or fsdp_enable"
)
NOT_YET: dict[str, tuple[tuple[Any, ...], str]] = {
    "base_model_precision": (
        ("int8-torchao", "fp8-torchao", "nf4-bnb"),
        "use int8-quanto or int4-quanto, or leave it at no_change",
    ),
    "deepspeed_stage": (("3",), ZERO3_FIX),
    "fsdp_version": ((1,), "use fsdp_version 2 (FSDP1 is deprecated)"),
    "report_to": (
        ("tensorboard", "wandb", "comet_ml"),
        "use simpletuner (loss curves and validation images stay with the job here) or none",
    ),
}
INSTALL_DEEPSPEED = "pip install 'simpletuner[deepspeed]'"


def _check_engine_support(config: dict[str, Any], report: Report) -> None:
    already = {name for name, _ in report.errors}  # one message per field: the more specific one came first
    for name, (values, fix) in NOT_YET.items():
        value = config.get(name)
        if name not in already and (value in values or str(value) in values):
            report.error(name, f"{value} is not supported by this trainer yet; {fix}")
    if deepspeed_requested(config) and not already & {"deepspeed_stage", "deepspeed_config"}:
        if importlib.util.find_spec("deepspeed") is None:  # finding it costs nothing; importing it costs seconds
            field_name = "deepspeed_stage" if str(config.get("deepspeed_stage") or "0") != "0" else "deepspeed_config"
            report.error(field_name, f"DeepSpeed is not installed; install it with {INSTALL_DEEPSPEED}")


def deepspeed_requested(config: dict[str, Any]) -> bool:
    return str(config.get("deepspeed_stage") or "0") != "0" or bool(config.get("deepspeed_config"))


def _check_fsdp(config: dict[str, Any], full: bool, report: Report) -> None:
    if not config.get("fsdp_enable"):
        return
    if deepspeed_requested(config):
        report.error(
            "fsdp_enable",
            "FSDP and DeepSpeed cannot be enabled together: turn fsdp_enable off, "
            "or set deepspeed_stage to 0 and leave deepspeed_config empty",
        )
    elif not full:
        report.error(
            "fsdp_enable",
            "FSDP shards a full fine-tune: set model_type full, "
            "or train the LoRA with plain data parallel (simpletuner train --num-processes N)",
        )
    elif config.get("validation_prompt"):
        # the main process samples alone, but FSDP's sharded weights are gathered by every process together
        report.error(
            "validation_prompt",
            "validation images are drawn by the main process alone, which FSDP's sharded weights cannot serve: "
            "leave validation_prompt empty with fsdp_enable, or use deepspeed_stage 2 instead of FSDP",
        )


def read_deepspeed_config(value: str, configs_dir: Path, workspace: Path) -> dict[str, Any]:
    """deepspeed_config as a dict: inline JSON, or a file found like a dataloader path; ValueError says what to fix."""
    text = value.strip()
    if not text.startswith("{"):
        found = resolve_path(text, configs_dir, workspace)
        if found is None:
            raise ValueError(f"{value} not found (looked in {configs_dir} and {workspace}); create it first")
        text = found.read_text()
    try:
        loaded = jsontext.loads(text)
    except ValueError as exc:
        raise ValueError(f"{value} is not valid JSON: {exc}") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("zero_optimization"), dict):
        raise ValueError(f"{value} must be a JSON object with a zero_optimization section (its stage at least)")
    for section, option in (("optimizer", "optimizer"), ("scheduler", "lr_scheduler")):
        if section in loaded:
            raise ValueError(f"remove the {section} section of {value}: the run's {option} option chooses it")
    if str(loaded["zero_optimization"].get("stage")) == "3":
        raise ValueError(f"ZeRO stage 3 is not supported by this trainer yet; {ZERO3_FIX}")
    return loaded


def _check_deepspeed_config(config: dict[str, Any], configs_dir: Path, workspace: Path, report: Report) -> None:
    try:
        loaded = read_deepspeed_config(str(config["deepspeed_config"]), configs_dir, workspace)
    except ValueError as exc:
        report.error("deepspeed_config", str(exc))
        return
    offload = loaded["zero_optimization"].get("offload_optimizer") or {}
    if str(offload.get("device", "none")) != "none" and config.get("optimizer") != "adamw":
        # accelerate then swaps the optimizer for DeepSpeed's CPU Adam, which only matches torch's AdamW
        report.error(
            "optimizer",
            f"{config.get('optimizer')} cannot run with the offload_optimizer of deepspeed_config "
            "(DeepSpeed swaps in its CPU Adam): use optimizer adamw, or remove offload_optimizer",
        )


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def resolve_path(path: str, configs_dir: Path, workspace: Path) -> Path | None:
    """A dataloader path as users write it: absolute, inside configs_dir, or relative to the workspace
    (`config/x.json` and `configs/x.json` both name configs_dir/x.json, as in SimpleTuner's layout)."""
    given = Path(path).expanduser()
    if given.is_absolute():
        return given if given.is_file() else None
    stripped = Path(*given.parts[1:]) if given.parts and given.parts[0] in ("config", "configs") else given
    for candidate in (configs_dir / given, configs_dir / stripped, workspace / given):
        if candidate.is_file():
            return candidate
    return None


def _check_dataloader(path: str, configs_dir: Path, workspace: Path, report: Report) -> None:
    field_name = "data_backend_config"
    found = resolve_path(path, configs_dir, workspace)
    if found is None:
        report.error(field_name, f"{path} not found (looked in {configs_dir} and {workspace}); create it first")
        return
    try:
        backends = jsontext.loads(found.read_text())
    except ValueError as exc:
        report.error(field_name, f"{found.name} is not valid JSON: {exc}")
        return
    try:
        entries, warnings = dataloader.parse_dataloader(backends, source=found.name)
    except dataloader.DataloaderError as exc:
        for problem in exc.problems:
            report.error(field_name, str(problem))
        return
    for problem in dataloader.unsupported(entries, source=found.name):
        report.error(field_name, str(problem))
    for warning in warnings:
        report.warn(field_name, warning)
