"""LyCORIS configs (lycoris_config.json) checked against lycoris-lora's own format, without importing lycoris."""

from __future__ import annotations

from typing import Any

from simpletuner.libs import jsontext
from simpletuner.libs.options.validation import Report

FIELD = "lycoris_config"
ALGORITHMS = ("lora", "locon", "loha", "lokr", "ia3", "dylora", "glora", "full", "diag-oft", "boft")
POSITIVE_NUMBERS = ("linear_dim", "linear_alpha", "conv_dim", "conv_alpha")
FRACTIONS = ("dropout", "rank_dropout", "module_dropout")
FLAGS = (
    "use_tucker",
    "use_scalar",
    "train_norm",
    "rescaled",
    "dora_wd",
    "wd_on_output",
    "full_matrix",
    "bypass_mode",
    "unbalanced_factorization",
    "decompose_both",
)
# Keys create_lycoris still reads but logs as deprecated, with their replacement.
DEPRECATED = {
    "disable_conv_cp": "use_tucker",
    "use_cp": "use_tucker",
    "use_conv_cp": "use_tucker",
    "constrain": "constraint",
}
OTHER_KEYS = ("algo", "multiplier", "factor", "block_size", "constraint", "preset", "apply_preset")
KNOWN_KEYS = frozenset((*POSITIVE_NUMBERS, *FRACTIONS, *FLAGS, *DEPRECATED, *OTHER_KEYS))
# LycorisNetwork.apply_preset raises KeyError on any other key, so an unknown one here is an error.
PRESET_KEYS = frozenset(
    {
        "enable_conv",
        "target_module",
        "target_name",
        "module_algo_map",
        "name_algo_map",
        "lora_prefix",
        "use_fnmatch",
        "unet_target_module",
        "unet_target_name",
        "text_encoder_target_module",
        "text_encoder_target_name",
        "exclude_name",
    }
)
PRESET_LISTS = frozenset(key for key in PRESET_KEYS if "target" in key or key == "exclude_name")
PRESET_MAPS = ("module_algo_map", "name_algo_map")


def starter() -> dict[str, Any]:
    """SimpleTuner's default LyCORIS config: LoKr, factor 16, full-rank (linear_dim 10000) Kronecker factors."""
    return {
        "algo": "lokr",
        "multiplier": 1.0,
        "linear_dim": 10000,
        "linear_alpha": 1,
        "factor": 16,
        "apply_preset": {
            "target_module": ["Attention", "FeedForward"],
            "module_algo_map": {"Attention": {"factor": 16}, "FeedForward": {"factor": 8}},
        },
    }


def check_text(text: str) -> tuple[Any, Report]:
    """Parse and check; the value is None when the text is not JSON."""
    try:
        value = jsontext.loads(text)
    except ValueError as exc:
        report = Report()
        report.error(FIELD, f"not valid JSON: {exc}")
        return None, report
    return value, check(value)


def check(value: Any) -> Report:
    """Every problem names its field (dotted, e.g. apply_preset.module_algo_map.Attention.factor)."""
    report = Report()
    if not isinstance(value, dict):
        report.error(FIELD, 'a LyCORIS config must be a JSON object such as {"algo": "lokr", "factor": 16}')
        return report
    if "algo" not in value:
        report.error("algo", f"algo is required: one of {', '.join(ALGORITHMS)}")
    _check_settings(value, "", str(value.get("algo", "")), report, top_level=True)
    return report


def _check_settings(settings: dict[str, Any], prefix: str, algo: str, report: Report, *, top_level: bool) -> None:
    """The keys shared by the top level and each module_algo_map/name_algo_map entry."""
    if "algo" in settings:
        if settings["algo"] not in ALGORITHMS:
            report.error(f"{prefix}algo", f"{settings['algo']!r} is not one of: {', '.join(ALGORITHMS)}")
        algo = str(settings["algo"])
    for key, value in settings.items():
        where = f"{prefix}{key}"
        if key in ("multiplier", "constraint") and not _is_number(value):
            report.error(where, f"{key} must be a number (got {value!r})")
        elif key in POSITIVE_NUMBERS and not (_is_number(value) and value > 0):
            report.error(where, f"{key} must be a positive number (got {value!r})")
        elif key in FRACTIONS and not (_is_number(value) and 0 <= value <= 1):
            report.error(where, f"{key} must be a number from 0 to 1 (got {value!r})")
        elif key in FLAGS and not isinstance(value, bool):
            report.error(where, f"{key} must be true or false (got {value!r})")
        elif key == "block_size" and not (_is_int(value) and value >= 1):
            report.error(where, f"block_size must be a whole number of at least 1 (got {value!r})")
        elif key == "factor":
            _check_factor(value, where, algo, report)
        elif key == "preset" and not isinstance(value, str):
            report.error(where, "preset must be the name of a LyCORIS preset (such as attn-mlp) or a preset file")
        elif key == "apply_preset":
            if top_level:
                _check_preset(value, where, algo, report)
            else:
                report.error(where, "apply_preset belongs at the top level, not inside an algo map entry")
        elif key in DEPRECATED:
            report.warn(where, f"{key} is deprecated in LyCORIS; use {DEPRECATED[key]} instead")
        elif key not in KNOWN_KEYS:
            report.warn(where, "not a LyCORIS option; it is kept as written (check the spelling)")


def _check_factor(value: Any, where: str, algo: str, report: Report) -> None:
    if not (_is_int(value) and (value == -1 or value >= 1)):
        report.error(where, f"factor must be a whole number, -1 (automatic) or at least 1 (got {value!r})")
    elif algo and algo != "lokr":
        report.warn(where, f"factor is only read by lokr; algo {algo} ignores it")


def _check_preset(preset: Any, where: str, algo: str, report: Report) -> None:
    if not isinstance(preset, dict):
        report.error(where, 'apply_preset must be an object such as {"target_module": ["Attention"]}')
        return
    for key, value in preset.items():
        field = f"{where}.{key}"
        if key not in PRESET_KEYS:
            report.error(field, f"LyCORIS refuses unknown preset keys; use one of: {', '.join(sorted(PRESET_KEYS))}")
        elif key in PRESET_LISTS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            report.error(field, f"{key} must be a list of module or layer names")
        elif key in PRESET_MAPS:
            _check_algo_map(value, field, algo, report)
        elif key in ("enable_conv", "use_fnmatch") and not isinstance(value, bool):
            report.error(field, f"{key} must be true or false")
        elif key == "lora_prefix" and not isinstance(value, str):
            report.error(field, "lora_prefix must be a string")


def _check_algo_map(mapping: Any, where: str, algo: str, report: Report) -> None:
    if not isinstance(mapping, dict):
        report.error(where, "must be an object mapping a module or layer name to its settings")
        return
    for name, settings in mapping.items():
        if not isinstance(settings, dict):
            report.error(f"{where}.{name}", 'must be an object of settings such as {"factor": 8}')
            continue
        _check_settings(settings, f"{where}.{name}.", algo, report, top_level=False)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
