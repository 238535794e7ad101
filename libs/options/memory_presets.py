"""Memory optimisation presets (light, balanced, aggressive) per model family, made only of catalogue options.

Each preset says what it gives up for the memory it saves. Only options this trainer honours are used:
gradient checkpointing, mixed precision, EMA, the optimiser, base-model quantisation (optimum-quanto),
text-encoder training and batch sizes. Quantisation is left out where it hurts: Stable Diffusion models
keep their precision until aggressive (SDXL) or always (SD 1.x/2.x), and small models such as Sana and
PixArt "do not get along with quantisation" (the tutorial), so their presets never quantise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import MODEL_FAMILIES

PRESET_NAMES: tuple[str, ...] = ("light", "balanced", "aggressive")

# How much memory each value saves, by option: a higher rank saves more (orders the presets, and proves
# each preset saves at least what the milder one does).
SAVING_RANKS: dict[str, dict[Any, int]] = {
    "gradient_checkpointing": {False: 0, True: 1},
    "mixed_precision": {"no": 0, "bf16": 1, "fp16": 1},
    "use_ema": {True: 0, False: 1},
    "train_text_encoder": {True: 0, False: 1},
    "optimizer": {"adamw": 0, "prodigy": 0, "lion": 1, "adamw_bf16": 1, "adamw8bit": 2, "adafactor": 3},
    "base_model_precision": {"no_change": 0, "bf16": 0, "int8-quanto": 1, "int4-quanto": 2},
}
SMALLER_SAVES = ("train_batch_size", "vae_batch_size")  # counts: the fewer, the less memory

# Quantising the frozen base model only applies to LoRA runs (a full fine-tune trains those weights).
LORA_ONLY = ("base_model_precision",)

# base_model_precision by family and preset (a family or preset not listed keeps the model's precision).
_QUANTISE: dict[str, dict[str, str]] = {
    "sdxl": {"aggressive": "int8-quanto"},
    "sd3": {"balanced": "int8-quanto", "aggressive": "int4-quanto"},
    "flux": {"balanced": "int8-quanto", "aggressive": "int4-quanto"},
}
_TRAINS_TEXT_ENCODER = ("sd1x", "sd2x", "sdxl")  # the families with the train_text_encoder option

# What each setting gives up, as the preset descriptions say it.
_TRADES: dict[tuple[str, Any], str] = {
    ("gradient_checkpointing", True): "activations are recomputed in the backward pass (about 20-30% slower steps)",
    ("mixed_precision", "bf16"): "computations run in bf16 instead of fp32",
    ("use_ema", False): "no EMA copy of the trained weights",
    ("optimizer", "adamw8bit"): "8-bit optimiser state (adamw8bit needs a CUDA GPU)",
    ("optimizer", "adafactor"): "the factored adafactor optimiser (it may want a different learning rate)",
    ("train_text_encoder", False): "the text encoder stays frozen",
    ("vae_batch_size", 1): "slower latent caching (one image at a time)",
    ("train_batch_size", 1): "one image per step (raise gradient_accumulation_steps to keep the effective batch)",
    ("base_model_precision", "int8-quanto"): "the base model quantised to int8 (quality stays close to bf16)",
    ("base_model_precision", "int4-quanto"): "the base model quantised to int4, at some cost in quality",
}
_INTROS: dict[str, tuple[str, str]] = {
    "light": ("Light", "Costs some speed, hardly any quality"),
    "balanced": ("Balanced", "Light, plus"),
    "aggressive": ("Aggressive", "Balanced, plus"),
}


@dataclass(frozen=True)
class Preset:
    """One preset: its name, what it trades away, and the options it sets."""

    name: str
    label: str
    description: str
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "description": self.description, "settings": self.settings}


def presets_for(family: str, model_type: str = "lora") -> list[Preset]:
    """The presets of `family` (one of MODEL_FAMILIES), mildest first; KeyError for an unknown family.

    For `model_type` full the LoRA-only settings (base-model quantisation) are left out."""
    if family not in MODEL_FAMILIES:
        raise KeyError(family)
    presets: list[Preset] = []
    milder: dict[str, Any] = {}
    for name in PRESET_NAMES:
        settings = {**milder, **_added(family, name)}
        if model_type == "full":
            settings = {key: value for key, value in settings.items() if key not in LORA_ONLY}
        presets.append(_described(name, settings, milder))
        milder = settings
    return presets


def saving_rank(name: str, value: Any) -> int:
    """How much memory `value` of option `name` saves compared with its other values (higher saves more)."""
    if name in SMALLER_SAVES:
        return -int(value)
    return SAVING_RANKS[name][value]


def _added(family: str, preset: str) -> dict[str, Any]:
    """What `preset` sets on top of the milder one."""
    added: dict[str, Any] = {}
    if preset == "light":
        added = {"gradient_checkpointing": True, "mixed_precision": "bf16"}
    elif preset == "balanced":
        added = {"use_ema": False, "optimizer": "adamw8bit", "vae_batch_size": 1}
        if family in _TRAINS_TEXT_ENCODER:
            added["train_text_encoder"] = False
    elif preset == "aggressive":
        added = {"optimizer": "adafactor", "train_batch_size": 1}
    if precision := _QUANTISE.get(family, {}).get(preset):
        added["base_model_precision"] = precision
    return added


def _described(name: str, settings: dict[str, Any], milder: dict[str, Any]) -> Preset:
    label, intro = _INTROS[name]
    trades = [_TRADES[key, value] for key, value in settings.items() if milder.get(key) != value]
    return Preset(name, label, f"{intro}: {'; '.join(trades)}.", settings)
