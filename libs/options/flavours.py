"""The model flavours: the released variants of each model family, the Hub repository each one loads from, and
the catalogue options each pre-enables; plus, per family, whether quantising the base model is advised.

`--model_flavour` takes a flavour's name. The wizard offers these, the validator checks a config's flavour
against them, and `/api/models` serves them. Only releases this trainer loads as they are (one complete diffusers
repository) are listed; what a release needs beyond its settings (schnell's 256 T5 tokens, Kontext's reference
images, the T5/Gemma attention masks of PixArt and Sana) the trainer's family code does by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The tutorial's advice on quantising the base model while training a LoRA.
_INT8_ADVICE = (
    "int8-quanto is recommended: it does not affect quality and allows higher batch sizes "
    "(the frozen base model takes half the memory of bf16)."
)
_SD_ADVICE = (
    "Stable Diffusion-type models are small enough to train unquantised, so keep no_change; "
    "quantise only when memory is very tight."
)
_SMALL_MODEL_ADVICE = "Small models such as Cosmos2, Sana and PixArt don't get along with quantisation: keep no_change."
UNQUANTISED = "no_change"
QUANTISED = "int8-quanto"


@dataclass(frozen=True)
class Flavour:
    """One released variant of a model family."""

    family: str
    name: str  # what --model_flavour takes
    label: str
    description: str
    pretrained_model_name_or_path: str  # the Hub repository of the release
    settings: dict[str, Any] = field(default_factory=dict)  # catalogue options it pre-enables (never mutated)
    default: bool = False  # the family's usual release, offered first

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "pretrained_model_name_or_path": self.pretrained_model_name_or_path,
            "settings": dict(self.settings),
            "default": self.default,
        }


@dataclass(frozen=True)
class Family:
    """A model family as the wizard presents it, with its quantisation advice."""

    name: str
    label: str
    description: str
    quantisation_advised: bool
    quantisation_advice: str

    @property
    def recommended_precision(self) -> str:
        return QUANTISED if self.quantisation_advised else UNQUANTISED

    def quantisation(self) -> dict[str, Any]:
        return {
            "advised": self.quantisation_advised,
            "advice": self.quantisation_advice,
            "recommended": self.recommended_precision,
        }


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            "sd1x",
            "Stable Diffusion 1.x",
            "The classic 512px UNet with one CLIP text encoder; quick to train on almost any GPU.",
            False,
            _SD_ADVICE,
        ),
        Family(
            "sd2x",
            "Stable Diffusion 2.x",
            "The OpenCLIP UNet of SD 2.0/2.1, mostly 768px v-prediction.",
            False,
            _SD_ADVICE,
        ),
        Family(
            "sdxl",
            "Stable Diffusion XL",
            "The 1024px UNet with two CLIP text encoders and size conditioning.",
            False,
            _SD_ADVICE,
        ),
        Family(
            "sd3",
            "Stable Diffusion 3.5",
            "MMDiT flow-matching transformers with CLIP and T5 text encoders.",
            True,
            _INT8_ADVICE,
        ),
        Family(
            "flux",
            "FLUX.1",
            "Black Forest Labs' 12B flow-matching transformer with CLIP and T5 text encoders.",
            True,
            _INT8_ADVICE,
        ),
        Family(
            "pixart_sigma",
            "PixArt Sigma",
            "A small DiT with a T5 text encoder and the SDXL autoencoder.",
            False,
            _SMALL_MODEL_ADVICE,
        ),
        Family(
            "sana",
            "Sana",
            "NVIDIA's efficient linear-attention DiT with a Gemma text encoder and a 32x compressing autoencoder.",
            False,
            _SMALL_MODEL_ADVICE,
        ),
    )
}


def _sizes(pixels: int) -> dict[str, Any]:
    """Train and validate at the release's native size."""
    return {"resolution": pixels, "validation_resolution": str(pixels)}


_GATED = "Gated on the Hub: accept its licence there first."

FLAVOURS: tuple[Flavour, ...] = (
    # Stable Diffusion 1.x
    Flavour(
        "sd1x",
        "1.5",
        "Stable Diffusion 1.5",
        "The classic 512px release (the community mirror of RunwayML's repository, which was taken down).",
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        _sizes(512),
        default=True,
    ),
    Flavour(
        "sd1x",
        "1.4",
        "Stable Diffusion 1.4",
        "CompVis' original 512px release.",
        "CompVis/stable-diffusion-v1-4",
        _sizes(512),
    ),
    Flavour(
        "sd1x",
        "dreamshaper",
        "DreamShaper 8",
        "A popular general-purpose SD 1.5 fine-tune; a good base for styles and characters.",
        "Lykon/dreamshaper-8",
        _sizes(512),
    ),
    # Stable Diffusion 2.x
    Flavour(
        "sd2x",
        "2.1",
        "Stable Diffusion 2.1",
        "The 768px v-prediction release.",
        "stabilityai/stable-diffusion-2-1",
        _sizes(768),
        default=True,
    ),
    Flavour(
        "sd2x",
        "2.0",
        "Stable Diffusion 2.0",
        "The first 768px v-prediction release.",
        "stabilityai/stable-diffusion-2",
        _sizes(768),
    ),
    Flavour(
        "sd2x",
        "base-2.1",
        "Stable Diffusion 2.1 base",
        "The 512px epsilon-prediction release of 2.1.",
        "stabilityai/stable-diffusion-2-1-base",
        _sizes(512),
    ),
    Flavour(
        "sd2x",
        "pseudoflex-v2",
        "Pseudo-Flex v2",
        "An SD 2.1 fine-tune on many aspect ratios with a zero-terminal-SNR noise schedule, "
        "which it keeps enabled (with trailing timesteps and guidance rescale for validation).",
        "bghira/pseudo-flex-v2",
        {
            **_sizes(768),
            "rescale_betas_zero_snr": True,
            "training_scheduler_timestep_spacing": "trailing",
            "validation_guidance_rescale": 0.7,
        },
    ),
    # Stable Diffusion XL
    Flavour(
        "sdxl",
        "base-1.0",
        "SDXL 1.0 base",
        "Stability AI's 1024px base model.",
        "stabilityai/stable-diffusion-xl-base-1.0",
        {**_sizes(1024), "validation_guidance": 5.0},
        default=True,
    ),
    Flavour(
        "sdxl",
        "base-0.9",
        "SDXL 0.9 base",
        f"The research preview of SDXL. {_GATED}",
        "stabilityai/stable-diffusion-xl-base-0.9",
        {**_sizes(1024), "validation_guidance": 5.0},
    ),
    # Stable Diffusion 3.5
    Flavour(
        "sd3",
        "medium",
        "SD 3.5 Medium",
        f"The 2.5B MMDiT-X release. {_GATED}",
        "stabilityai/stable-diffusion-3.5-medium",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 40},
        default=True,
    ),
    Flavour(
        "sd3",
        "large",
        "SD 3.5 Large",
        f"The 8B release: better detail and prompt following, much more memory. {_GATED}",
        "stabilityai/stable-diffusion-3.5-large",
        {**_sizes(1024), "validation_guidance": 3.5, "validation_num_inference_steps": 28},
    ),
    # FLUX.1
    Flavour(
        "flux",
        "dev",
        "FLUX.1 [dev]",
        f"The guidance-distilled release; LoRAs train at guidance 1.0 and sample around 3.5. {_GATED}",
        "black-forest-labs/FLUX.1-dev",
        {**_sizes(1024), "flux_guidance_value": 1.0, "validation_guidance": 3.5, "validation_num_inference_steps": 28},
        default=True,
    ),
    Flavour(
        "flux",
        "schnell",
        "FLUX.1 [schnell]",
        "The Apache-2.0 timestep-distilled release that samples in 4 steps; its prompts are limited to 256 T5 "
        "tokens, which the trainer applies by itself.",
        "black-forest-labs/FLUX.1-schnell",
        {**_sizes(1024), "validation_num_inference_steps": 4},
    ),
    Flavour(
        "flux",
        "krea",
        "FLUX.1 Krea [dev]",
        f"Krea's photographic, aesthetics-tuned FLUX.1 [dev]. {_GATED}",
        "black-forest-labs/FLUX.1-Krea-dev",
        {**_sizes(1024), "flux_guidance_value": 1.0, "validation_guidance": 4.5, "validation_num_inference_steps": 28},
    ),
    Flavour(
        "flux",
        "kontext",
        "FLUX.1 Kontext [dev]",
        "The image-editing release: every training image needs a reference image (a conditioning dataset) that "
        f"it learns to edit. {_GATED}",
        "black-forest-labs/FLUX.1-Kontext-dev",
        {**_sizes(1024), "flux_guidance_value": 1.0, "validation_guidance": 2.5, "validation_num_inference_steps": 28},
    ),
    # PixArt Sigma
    Flavour(
        "pixart_sigma",
        "900M-1024-v0.6",
        "PixArt 900M (v0.6)",
        "Terminus Research's 900M-parameter expansion of PixArt Sigma, fine-tuned at 1024px. "
        "Prompts use T5's attention mask and up to 300 tokens.",
        "terminusresearch/pixart-900m-1024-ft-v0.6",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
        default=True,
    ),
    Flavour(
        "pixart_sigma",
        "600M-1024",
        "PixArt Sigma 600M",
        "The original 600M-parameter 1024px release. Prompts use T5's attention mask and up to 300 tokens.",
        "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
    ),
    # Sana
    Flavour(
        "sana",
        "sana1.0-1.6b-1024",
        "Sana 1.0 1.6B 1024px",
        "The 1.6B release at 1024px. Prompts use Gemma's attention mask and up to 300 tokens.",
        "Efficient-Large-Model/Sana_1600M_1024px_BF16_diffusers",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
        default=True,
    ),
    Flavour(
        "sana",
        "sana1.0-1.6b-2048",
        "Sana 1.0 1.6B 2K",
        "The 1.6B release at 2048px: needs far more memory per image.",
        "Efficient-Large-Model/Sana_1600M_2Kpx_BF16_diffusers",
        {**_sizes(2048), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
    ),
    Flavour(
        "sana",
        "sana1.0-600m-1024",
        "Sana 1.0 600M 1024px",
        "The small 600M release at 1024px.",
        "Efficient-Large-Model/Sana_600M_1024px_diffusers",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
    ),
    Flavour(
        "sana",
        "sana1.0-600m-512",
        "Sana 1.0 600M 512px",
        "The small 600M release at 512px: the quickest Sana to train.",
        "Efficient-Large-Model/Sana_600M_512px_diffusers",
        {**_sizes(512), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
    ),
    Flavour(
        "sana",
        "sana1.5-1.6b-1024",
        "Sana 1.5 1.6B",
        "The improved 1.5 release, 1.6B parameters at 1024px.",
        "Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
    ),
    Flavour(
        "sana",
        "sana1.5-4.8b-1024",
        "Sana 1.5 4.8B",
        "The largest 1.5 release, 4.8B parameters at 1024px.",
        "Efficient-Large-Model/SANA1.5_4.8B_1024px_diffusers",
        {**_sizes(1024), "validation_guidance": 4.5, "validation_num_inference_steps": 20},
    ),
)


def flavours_of(family: str) -> tuple[Flavour, ...]:
    """The family's flavours, its usual release first; KeyError for an unknown family."""
    if family not in FAMILIES:
        raise KeyError(family)
    found = [flavour for flavour in FLAVOURS if flavour.family == family]
    return tuple(sorted(found, key=lambda flavour: not flavour.default))


def names_of(family: str) -> tuple[str, ...]:
    """What --model_flavour may be for the family."""
    return tuple(flavour.name for flavour in flavours_of(family))


def find(family: str, name: str) -> Flavour | None:
    return next((flavour for flavour in FLAVOURS if flavour.family == family and flavour.name == name), None)


def default_of(family: str) -> Flavour:
    return flavours_of(family)[0]
