"""The engine against a bare loop on full-size denoisers with random weights at 1024² (GPU): step times, their
ratio, model FLOPs utilisation (MFU) and peak GPU memory (prints figures).

The denoiser has the real architecture and size (SDXL's UNet; Flux.1's transformer, optionally with fewer blocks
to fit a time budget); text encoders are one-to-two-layer models of the real widths and the VAE is tiny with the
real latent channels, since only the denoiser's step is measured. FLOPs are counted by torch's FlopCounterMode on
one step of the bare loop; MFU divides them by the median step time and the GPU's dense bf16 peak.
Run: python bench/full_size.py [--family sdxl|flux] [--flux-blocks 19,38] [--steps 25] [--rank 16]
     [--gradient-checkpointing]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import torch
from PIL import Image, ImageDraw
from train_step import Timings, bare_loop, engine_run

from simpletuner.services.trainer.engine.tiny_models import flux as tiny_flux
from simpletuner.services.trainer.engine.tiny_models.components import (
    tiny_clip,
    tiny_clip_with_projection,
    tiny_vae,
)
from simpletuner.services.trainer.engine.tiny_models.tokenizers import t5_tokenizer, vocab_size

# Dense bf16 tensor-core peaks (FLOP/s) from the vendors' data sheets, by device-name fragment.
PEAKS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


def build_sdxl(folder: Path) -> None:
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
    from diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl import StableDiffusionXLPipeline
    from diffusers.schedulers.scheduling_euler_discrete import EulerDiscreteScheduler

    torch.manual_seed(0)
    tokenizer, text_encoder = tiny_clip(768)
    tokenizer_2, text_encoder_2 = tiny_clip_with_projection(1280)
    unet = UNet2DConditionModel(  # SDXL base 1.0's UNet configuration
        sample_size=128,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(320, 640, 1280),
        layers_per_block=2,
        transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(5, 10, 20),
        cross_attention_dim=2048,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
    )
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    pipeline = StableDiffusionXLPipeline(
        vae=tiny_vae(scaling_factor=0.13025),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=scheduler,
        add_watermarker=False,
    )
    pipeline.to(torch.bfloat16).save_pretrained(folder)


def build_flux(folder: Path, blocks: tuple[int, int]) -> None:
    from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
    from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    from simpletuner.services.trainer.engine.tiny_models.tokenizers import clip_tokenizer

    torch.manual_seed(0)
    clip, t5 = clip_tokenizer(), t5_tokenizer(512)
    with torch.device("cuda"):  # a 12B model initialises in seconds on the GPU, minutes on the CPU
        transformer = FluxTransformer2DModel(  # FLUX.1-dev's configuration
            in_channels=64,
            num_layers=blocks[0],
            num_single_layers=blocks[1],
            attention_head_dim=128,
            num_attention_heads=24,
            joint_attention_dim=4096,
            pooled_projection_dim=768,
            guidance_embeds=True,
            axes_dims_rope=(16, 56, 56),
        ).to(torch.bfloat16)
    clip_config = CLIPTextConfig(
        vocab_size=vocab_size(clip), hidden_size=768, intermediate_size=1536, num_hidden_layers=1,
        num_attention_heads=12, max_position_embeddings=77, bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )  # fmt: skip
    t5_config = T5Config(vocab_size=vocab_size(t5), d_model=4096, d_kv=64, d_ff=1024, num_layers=1, num_heads=8)
    pipeline = FluxPipeline(
        scheduler=tiny_flux.flux_scheduler(),
        vae=tiny_flux.flux_vae(),
        text_encoder=CLIPTextModel(clip_config),
        tokenizer=clip,
        text_encoder_2=T5EncoderModel(t5_config),
        tokenizer_2=t5,
        transformer=transformer,
    )
    pipeline.to(torch.bfloat16).save_pretrained(folder)
    del pipeline, transformer
    torch.cuda.empty_cache()


def write_images(folder: Path, count: int = 4, size: int = 1024) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        image = Image.new("RGB", (size, size), (30 * index, 120, 200))
        ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill=(220, 40, 40))
        image.save(folder / f"image-{index}.png")
        (folder / f"image-{index}.txt").write_text(f"a red circle, picture {index}")
    return folder


def run_config(workspace: Path, family: str, model: Path, steps: int, rank: int, checkpointing: bool) -> dict[str, Any]:
    dataloader = workspace / "configs" / "full" / "multidatabackend.json"
    dataloader.parent.mkdir(parents=True, exist_ok=True)
    images = write_images(workspace / "datasets" / "full")
    entries = [
        {"id": "images", "type": "local", "dataset_type": "image", "instance_data_dir": str(images),
         "caption_strategy": "textfile", "resolution": 1024, "resolution_type": "pixel_area",
         "minimum_image_size": 512, "crop": True, "crop_style": "center", "crop_aspect": "square"},
        {"id": "text", "type": "local", "dataset_type": "text_embeds", "default": True,
         "cache_dir": str(workspace / "cache" / "text")},
    ]  # fmt: skip
    dataloader.write_text(json.dumps(entries))
    return {
        "model_family": family,
        "pretrained_model_name_or_path": str(model),
        "output_dir": str(workspace / "output"),
        "data_backend_config": str(dataloader),
        "resolution": 1024,
        "max_train_steps": steps,
        "num_train_epochs": 0,
        "train_batch_size": 1,
        "mixed_precision": "bf16",
        "optimizer": "adamw",
        "learning_rate": 1e-4,
        "lora_rank": rank,
        "lora_alpha": rank,
        "lora_dropout": 0.0,
        "noise_offset": 0,
        "seed": 0,
        "checkpointing_steps": 10_000,
        "validation_steps": 10_000,
        "resume_from_checkpoint": "",
        "gradient_checkpointing": checkpointing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="sdxl", choices=["sdxl", "flux"])
    parser.add_argument("--flux-blocks", default="19,38", help="double,single transformer blocks (FLUX.1: 19,38)")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations (Flux at 80 GB)")
    args = parser.parse_args()
    blocks = tuple(int(n) for n in args.flux_blocks.split(","))
    with tempfile.TemporaryDirectory(dir=Path.home()) as folder:
        workspace = Path(folder)
        model = workspace / "model"
        build_sdxl(model) if args.family == "sdxl" else build_flux(model, (blocks[0], blocks[1]))
        raw = run_config(workspace, args.family, model, args.steps, args.rank, args.gradient_checkpointing)
        torch.cuda.reset_peak_memory_stats()
        timings: Timings = engine_run(workspace, raw)
        engine_peak = torch.cuda.max_memory_allocated() / 2**30
        torch.cuda.empty_cache()
        bare, flops = bare_loop(workspace, raw, args.steps, count_flops=True)
    ours = timings.median_step()
    name = torch.cuda.get_device_name()
    peak = next((value for key, value in PEAKS.items() if key in name), 0.0)
    what = "SDXL UNet" if args.family == "sdxl" else f"Flux.1 transformer ({blocks[0]}+{blocks[1]} blocks)"
    recompute = ", gradient checkpointing" if args.gradient_checkpointing else ""
    print(f"{what}, 1024², batch 1, bf16, LoRA rank {args.rank}{recompute}, {args.steps} steps on {name}")
    print(f"step time: engine {ours * 1000:.1f} ms, bare loop {bare * 1000:.1f} ms, ratio {ours / bare:.3f}")
    if flops and peak:
        print(
            f"{flops / 1e12:.2f} TFLOP per step; MFU engine {flops / ours / peak:.1%}, bare {flops / bare / peak:.1%}"
        )
    print(f"peak GPU memory (engine) {engine_peak:.1f} GiB")


if __name__ == "__main__":
    main()
