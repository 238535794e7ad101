"""Starting points for the learning rate, optimiser and batch size, per model type (the wizard's presets step).

They only help new users make a sensible first run; experienced users pick "Manual configuration" instead.
Every setting is a catalogue option. LoRA adapters train at learning rates around 1e-4; a full fine-tune moves
every weight and needs one to two orders of magnitude less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalogue import BY_NAME

MODEL_TYPES: tuple[str, ...] = BY_NAME["model_type"].choices  # lora, full


@dataclass(frozen=True)
class TrainingPreset:
    name: str
    label: str
    description: str
    model_type: str
    settings: dict[str, Any] = field(default_factory=dict)  # never mutated

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "model_type": self.model_type,
            "settings": dict(self.settings),
        }


def _schedule(
    learning_rate: float, scheduler: str, warmup: int, batch: int, accumulation: int, optimizer: str = "adamw_bf16"
) -> dict[str, Any]:
    return {
        "learning_rate": learning_rate,
        "optimizer": optimizer,
        "lr_scheduler": scheduler,
        "lr_warmup_steps": warmup,
        "train_batch_size": batch,
        "gradient_accumulation_steps": accumulation,
    }


PRESETS: tuple[TrainingPreset, ...] = (
    TrainingPreset(
        "conservative",
        "Conservative",
        "A low learning rate that decays smoothly: hard to overtrain, slower to learn. "
        "Good for a first run or a small dataset.",
        "lora",
        _schedule(5e-5, "cosine", 100, 1, 4),
    ),
    TrainingPreset(
        "balanced",
        "Balanced",
        "The usual LoRA starting point: learning rate 1e-4 after a short warmup, an effective batch of 4.",
        "lora",
        _schedule(1e-4, "constant_with_warmup", 100, 2, 2),
    ),
    TrainingPreset(
        "fast",
        "Fast",
        "Learns in few steps with a higher learning rate and 4 images per step (needs the memory for them); "
        "check the validation images often for overfitting.",
        "lora",
        _schedule(3e-4, "constant", 0, 4, 1),
    ),
    TrainingPreset(
        "adaptive",
        "Adaptive (Prodigy)",
        "Prodigy finds its own step size, so the learning rate stays at 1.0; uses more optimiser memory than AdamW.",
        "lora",
        _schedule(1.0, "constant", 0, 2, 1, optimizer="prodigy"),
    ),
    TrainingPreset(
        "conservative",
        "Conservative",
        "A very low learning rate with a long warmup and smooth decay: keeps what the model already knows.",
        "full",
        _schedule(1e-6, "cosine", 200, 1, 8),
    ),
    TrainingPreset(
        "balanced",
        "Balanced",
        "A typical full fine-tune: learning rate 5e-6 after a short warmup, an effective batch of 8.",
        "full",
        _schedule(5e-6, "constant_with_warmup", 100, 2, 4),
    ),
    TrainingPreset(
        "fast",
        "Fast",
        "Learning rate 1e-5 and 4 images per step: faster to learn, quicker to forget what the base model knew.",
        "full",
        _schedule(1e-5, "constant", 0, 4, 2),
    ),
)


def presets_for(model_type: str) -> tuple[TrainingPreset, ...]:
    """The presets for `lora` or `full`, mildest first; KeyError for any other model type."""
    if model_type not in MODEL_TYPES:
        raise KeyError(model_type)
    return tuple(preset for preset in PRESETS if preset.model_type == model_type)
