"""What a run trains: a PEFT LoRA, a LyCORIS network, or the whole denoiser; and how each is saved.

Checkpoints hold only the trainable tensors (`trainable_state`), so a LoRA checkpoint stays small; the final
LoRA is written in diffusers' layout (`pytorch_lora_weights.safetensors`, keys prefixed `unet.`/`transformer.`)
so `pipeline.load_lora_weights(folder)` takes it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from simpletuner.libs.options import validation

from .families.base import ModelFamily
from .run_config import ConfigError, RunConfig

LORA_WEIGHTS = "pytorch_lora_weights.safetensors"
COMFYUI_PREFIX = "diffusion_model"  # ComfyUI's loaders take diffusers-style LoRA keys under this prefix
INIT_TYPES: dict[str, Any] = {"default": True, "gaussian": "gaussian", "olora": "olora", "pissa": "pissa"}


class Adapter(ABC):
    """The trainable part of a run."""

    def __init__(self, denoiser: torch.nn.Module) -> None:
        self.denoiser = denoiser
        self.trainable: list[torch.nn.Parameter] = []  # set once attached; walking a model per step is slow

    def parameters(self) -> list[torch.nn.Parameter]:
        """What the optimizer updates."""
        return self.trainable

    @abstractmethod
    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The trainable tensors by stable name (what a checkpoint stores)."""

    @abstractmethod
    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        """Restore what trainable_state returned."""

    @abstractmethod
    def save_final(self, folder: Path, family: ModelFamily) -> Path:
        """Write the result where users and pipelines expect it; returns the file or folder written."""


class LoraAdapter(Adapter):
    """PEFT LoRA on the family's target modules (lora_rank, lora_alpha, lora_dropout, lora_init_type)."""

    def __init__(self, denoiser: torch.nn.Module, family: ModelFamily, config: RunConfig) -> None:
        from peft import LoraConfig, inject_adapter_in_model

        super().__init__(denoiser)
        init = str(config["lora_init_type"])
        if init not in INIT_TYPES:
            raise ConfigError([("lora_init_type", f"{init} is not supported; use one of {', '.join(INIT_TYPES)}")])
        rank = int(config["lora_rank"])
        lora = LoraConfig(
            r=rank,
            lora_alpha=int(config["lora_alpha"] or rank),
            lora_dropout=float(config["lora_dropout"] or 0.0),
            init_lora_weights=INIT_TYPES[init],
            target_modules=family.lora_target_modules(),
        )
        denoiser.requires_grad_(False)
        add_adapter = getattr(denoiser, "add_adapter", None)
        if callable(add_adapter):  # diffusers' PeftAdapterMixin: also records the config on the model
            add_adapter(lora)
        else:  # models without the mixin (PixArt's transformer in diffusers 0.42)
            inject_adapter_in_model(lora, denoiser)
        self.trainable = [p for p in denoiser.parameters() if p.requires_grad]
        self.key_layout = str(config["lora_format"])

    def trainable_state(self) -> dict[str, torch.Tensor]:
        from peft.utils import get_peft_model_state_dict

        return {k: v.detach().clone() for k, v in get_peft_model_state_dict(self.denoiser).items()}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        from peft.utils import set_peft_model_state_dict

        result = set_peft_model_state_dict(self.denoiser, state)
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise ValueError(f"the checkpoint's LoRA does not fit this model: unexpected keys {unexpected[:5]}")

    def save_final(self, folder: Path, family: ModelFamily) -> Path:
        from diffusers.utils import convert_state_dict_to_diffusers

        layers = convert_state_dict_to_diffusers(self.trainable_state())
        prefix = COMFYUI_PREFIX if self.key_layout == "comfyui" else family.denoiser_subfolder
        prefixed = {f"{prefix}.{key}": value.contiguous() for key, value in layers.items()}
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / LORA_WEIGHTS
        save_file(prefixed, str(target), metadata={"format": "pt"})
        return target


class LycorisAdapter(Adapter):
    """A LyCORIS network (lora, locon, loha, lokr, ...) described by lycoris_config.json."""

    def __init__(self, denoiser: torch.nn.Module, config: RunConfig) -> None:
        from lycoris import LycorisNetwork, create_lycoris

        super().__init__(denoiser)
        self.settings = lycoris_settings(config)
        settings = dict(self.settings)
        preset = settings.pop("apply_preset", None)
        if preset:
            LycorisNetwork.apply_preset(preset)
        denoiser.requires_grad_(False)
        self.network = create_lycoris(
            denoiser,
            float(settings.pop("multiplier", 1.0)),
            linear_dim=int(settings.pop("linear_dim", 4)),
            linear_alpha=float(settings.pop("linear_alpha", 1)),
            **settings,
        )
        self.network.apply_to()
        # the network's own weights are created on the CPU; they must live where the denoiser's weights are
        self.network.to(next(denoiser.parameters()).device)
        self.trainable = [p for p in self.network.parameters() if p.requires_grad]

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.network.state_dict().items()}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        self.network.load_state_dict(state, strict=True)

    def save_final(self, folder: Path, family: ModelFamily) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / LORA_WEIGHTS
        metadata = {"lycoris_config": json.dumps(self.settings)}
        self.network.save_weights(str(target), torch.float32, metadata)
        return target


class FullAdapter(Adapter):
    """Every denoiser weight trains; the result is a complete pipeline folder (save_pretrained)."""

    def __init__(self, denoiser: torch.nn.Module) -> None:
        super().__init__(denoiser)
        denoiser.requires_grad_(True)
        self.trainable = list(denoiser.parameters())

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.denoiser.state_dict().items()}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        self.denoiser.load_state_dict(state, strict=True)

    def save_final(self, folder: Path, family: ModelFamily) -> Path:
        components = {family.denoiser_subfolder: self.denoiser}
        pipeline = family.pipeline_class.from_pretrained(family.model_path, **components)
        pipeline.save_pretrained(str(folder))
        return folder


def attach(denoiser: torch.nn.Module, family: ModelFamily, config: RunConfig) -> Adapter:
    """The adapter model_type and lora_type ask for, attached to the denoiser."""
    if config["model_type"] == "full":
        return FullAdapter(denoiser)
    if config["lora_type"] == "lycoris":
        return LycorisAdapter(denoiser, config)
    return LoraAdapter(denoiser, family, config)


def lycoris_settings(config: RunConfig) -> dict[str, Any]:
    """lycoris_config.json as a dict (paths like `config/<env>/lycoris_config.json` resolve as the seeds write them)."""
    given = str(config["lycoris_config"] or "")
    found = validation.resolve_path(given, config.workspace / "configs", config.workspace) if given else None
    if found is None:
        raise ConfigError([("lycoris_config", f"{given or '(unset)'} not found; write a lycoris_config.json first")])
    try:
        settings = json.loads(found.read_text())
    except ValueError as exc:
        raise ConfigError([("lycoris_config", f"{found} is not valid JSON: {exc}")]) from None
    if not isinstance(settings, dict) or "algo" not in settings:
        raise ConfigError([("lycoris_config", f"{found} must be an object with an algo (lora, locon, loha, lokr)")])
    return settings
