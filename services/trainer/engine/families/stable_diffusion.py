"""Stable Diffusion 1.x and 2.x: a UNet over 4-channel VAE latents, conditioned on one CLIP text encoder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

import torch

# diffusers' defining modules, not its lazy top level: mypy resolves `from diffusers import X` to the dummy objects
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from PIL import Image
from transformers import CLIPTextModel, CLIPTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from ..objectives import DiffusionObjective
from ..run_config import RunConfig
from .base import Batch, ModelFamily, PromptEmbeds, SampleRequest, release_memory

ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)
# diffusers' callback_on_step_end: (pipeline, step index, timestep, tensors asked for) -> tensors to replace
StepCallback = Callable[[DiffusionPipeline, int, torch.Tensor, dict[str, Any]], dict[str, Any]]
UNET_LORA_TARGETS = ("to_k", "to_q", "to_v", "to_out.0")


class StableDiffusionFamily(ModelFamily):
    """SD 1.x/2.x; epsilon or v-prediction, whichever the model folder's scheduler config says."""

    names: ClassVar[tuple[str, ...]] = ("sd1x", "sd2x")
    pipeline_class: ClassVar[type[DiffusionPipeline]] = StableDiffusionPipeline
    denoiser_subfolder = "unet"
    lora_targets = UNET_LORA_TARGETS

    def __init__(self, config: RunConfig, device: torch.device, weight_dtype: torch.dtype) -> None:
        super().__init__(config, device, weight_dtype)
        self.revision: str = config["revision"] or "main"  # the Hub default; local folders ignore it
        self.tokenizers: list[PreTrainedTokenizerBase] = []
        self.text_encoders: list[PreTrainedModel] = []

    def load_denoiser(self) -> torch.nn.Module:
        return UNet2DConditionModel.from_pretrained(
            self.model_path, subfolder="unet", revision=self.revision, torch_dtype=torch.float32
        )

    def load_vae(self) -> None:
        self.vae = load_frozen_vae(self.config, self.device, self.vae_dtype())

    def vae_dtype(self) -> torch.dtype:
        return self.weight_dtype

    def load_text_encoders(self) -> None:
        self.tokenizers = [
            CLIPTokenizer.from_pretrained(self.model_path, subfolder="tokenizer", revision=self.revision)
        ]
        encoder = CLIPTextModel.from_pretrained(
            self.model_path, subfolder="text_encoder", revision=self.revision, dtype=self.weight_dtype
        )
        self.text_encoders = [frozen(encoder, self.device)]

    def unload_text_encoders(self) -> None:
        self.tokenizers, self.text_encoders = [], []
        release_memory()

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        encoder = cast(CLIPTextModel, self.text_encoders[0])
        last, hidden_states = clip_forward(self.tokenizers[0], encoder, prompts, self.device)
        skip = int(self.config["clip_skip"] or 0)
        if skip:
            # as the SD pipeline does: an earlier layer, through the final layer norm the last one gets
            # (transformers 5 flattened CLIPTextModel: the norm is on the model itself, no longer on .text_model)
            last = encoder.final_layer_norm(hidden_states[-(skip + 1)])
        return split_prompts({"prompt_embeds": last})

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return encode_latents(self.vae, pixels)

    def objective(self) -> DiffusionObjective:
        scheduler = DDPMScheduler.from_pretrained(
            self.model_path,
            subfolder="scheduler",
            revision=self.revision,
            rescale_betas_zero_snr=bool(self.config["rescale_betas_zero_snr"]),
            timestep_spacing=str(self.config["training_scheduler_timestep_spacing"]),
        )
        # from_pretrained returns a (scheduler, unused kwargs) tuple only when asked to with return_unused_kwargs
        return DiffusionObjective(cast(DDPMScheduler, scheduler), self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        prompt_embeds = like(noisy, batch.embeds["prompt_embeds"])
        output: torch.Tensor = denoiser(noisy, timesteps, prompt_embeds, return_dict=False)[0]
        return output

    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        pipeline = self.pipeline_class.from_pretrained(
            self.model_path,
            revision=self.revision,
            vae=self.vae,
            unet=denoiser,
            **self.pipeline_overrides(),
        )
        if self.config["rescale_betas_zero_snr"]:
            # a zero-terminal-SNR model must sample from pure noise: trailing spacing over the rescaled schedule
            pipeline.scheduler = DDIMScheduler.from_config(
                pipeline.scheduler.config, rescale_betas_zero_snr=True, timestep_spacing="trailing"
            )
        pipeline.set_progress_bar_config(disable=True)
        return pipeline

    def pipeline_overrides(self) -> dict[str, Any]:
        """Components build_pipeline leaves out: prompts arrive as cached embeddings, and no safety checker."""
        return dict.fromkeys(("tokenizer", "text_encoder", "safety_checker", "feature_extractor"))

    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        rescale = float(self.config["validation_guidance_rescale"] or 0.0)
        return sample(self, pipeline, request, guidance_rescale=rescale)

    def decode_latents(self, latents: torch.Tensor) -> Image.Image:
        return decode_preview(self.vae, latents)


# Helpers the other AutoencoderKL + CLIP families (SDXL, SD3) share.


def frozen(module: ModuleT, device: torch.device) -> ModuleT:
    """A module that is only ever evaluated: no gradients, eval mode (no dropout), on `device`."""
    module.requires_grad_(False)
    module.eval()
    return module.to(device)


def load_frozen_vae(config: RunConfig, device: torch.device, dtype: torch.dtype) -> AutoencoderKL:
    """The model folder's VAE, or the one pretrained_vae_model_name_or_path names instead (a whole repo)."""
    replacement = config["pretrained_vae_model_name_or_path"]
    if replacement:
        vae = AutoencoderKL.from_pretrained(str(replacement), torch_dtype=dtype)
    else:
        path = str(config["pretrained_model_name_or_path"])
        vae = AutoencoderKL.from_pretrained(
            path, subfolder="vae", revision=config["revision"] or "main", torch_dtype=dtype
        )
    return frozen(vae, device)


def latent_scaling(vae: AutoencoderKL) -> tuple[float, float]:
    """The VAE's (shift_factor, scaling_factor): SD and SDXL only scale, SD3 shifts as well."""
    return float(vae.config.get("shift_factor") or 0.0), float(vae.config["scaling_factor"])


@torch.no_grad()
def encode_latents(vae: AutoencoderKL, pixels: torch.Tensor) -> torch.Tensor:
    """Pixels in [-1, 1] to the latents the denoiser sees: (mode - shift_factor) * scaling_factor, float32 on the CPU.

    We take the posterior's mode rather than a sample: latents are cached once and reused every epoch, so a
    sample would freeze one arbitrary draw anyway, and the mode makes the cache independent of batch order and
    size. The SD-family posteriors are narrow (std ~1e-2 of the latent scale), so little augmentation is lost.
    """
    posterior = vae.encode(pixels.to(vae.device, vae.dtype)).latent_dist
    shift, scale = latent_scaling(vae)
    # float32 whatever the VAE's dtype: the objective draws noise and targets in the latents' dtype
    return ((posterior.mode() - shift) * scale).float().cpu()


@torch.no_grad()
def decode_preview(vae: AutoencoderKL, latents: torch.Tensor) -> Image.Image:
    """The first image of a latent batch (undoing encode_latents' shift and scale) as a PIL image, decoded in the
    VAE's dtype."""
    shift, scale = latent_scaling(vae)
    unscaled = latents[:1].to(vae.device, vae.dtype) / scale + shift
    pixels = vae.decode(unscaled, return_dict=False)[0][0]
    array = ((pixels.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0)
    return Image.fromarray(array.cpu().numpy())


def clip_forward(
    tokenizer: PreTrainedTokenizerBase, encoder: PreTrainedModel, prompts: list[str], device: torch.device
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """A CLIP encoder's first output (last hidden state, or text_embeds with a projection) and all hidden states,
    for prompts padded to the tokenizer's 77 tokens as the pipelines pad them."""
    tokens = tokenizer(
        prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt"
    )
    output = encoder(tokens.input_ids.to(device), output_hidden_states=True)
    return output[0], output.hidden_states


def split_prompts(batched: dict[str, torch.Tensor]) -> list[PromptEmbeds]:
    """Batched encoder outputs to one dict per prompt on the CPU.

    Each row is cloned: a row of a batch is a view of the whole batch's storage, which torch.save would write
    into every prompt's cache file.
    """
    count = next(iter(batched.values())).shape[0]
    return [{key: value[row].detach().cpu().clone() for key, value in batched.items()} for row in range(count)]


def like(reference: torch.Tensor, tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` on the reference's device and in its dtype (cached embeddings arrive on the CPU in float32)."""
    return tensor.to(device=reference.device, dtype=reference.dtype)


def sample(family: ModelFamily, pipeline: DiffusionPipeline, request: SampleRequest, **options: Any) -> Image.Image:
    """One image from cached embeddings: each key of the request's embeds is also the pipeline's argument name."""
    denoiser: torch.nn.Module = getattr(pipeline, family.denoiser_subfolder)
    # the pipelines take given embeddings as they are (SD3 does not even cast them): match the denoiser
    weight = next(denoiser.parameters())
    kwargs: dict[str, Any] = {}
    for key, value in request.embeds.items():
        # without a negative prompt the unconditional branch gets zeros (SDXL's force_zeros_for_empty_prompt);
        # there are no text encoders here to encode "" with
        negative = request.negative_embeds[key] if request.negative_embeds else torch.zeros_like(value)
        kwargs[key] = like(weight, value.unsqueeze(0))
        kwargs[f"negative_{key}"] = like(weight, negative.unsqueeze(0))
    call: Any = pipeline  # each pipeline class defines its own __call__
    result = call(
        **kwargs,
        **options,
        width=request.width,
        height=request.height,
        num_inference_steps=request.num_inference_steps,
        guidance_scale=request.guidance,
        generator=request.generator,
        callback_on_step_end=step_callback(request),
        # decoded here rather than by the pipeline, which would hand half-precision latents to a float32 VAE (SDXL)
        output_type="latent",
    )
    return decode_preview(family.vae, result.images)


def step_callback(request: SampleRequest) -> StepCallback | None:
    """diffusers' callback_on_step_end calling request.on_step(step, timestep, latents), or None without one."""
    on_step = request.on_step
    if on_step is None:
        return None

    def callback(pipeline: DiffusionPipeline, step: int, timestep: torch.Tensor, tensors: dict[str, Any]) -> dict:
        on_step(step, int(timestep), tensors["latents"])
        return {}  # nothing replaced: the pipeline keeps its own latents

    return callback


FAMILY = StableDiffusionFamily
