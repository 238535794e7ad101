"""Training runs for tests and benchmarks: a generated dataset and a config for a built-in tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simpletuner.libs.examples.demo_dataset import write_demo_dataset


def tiny_run_config(workspace: Path, family: str = "sd1x", name: str = "run", **overrides: Any) -> dict[str, Any]:
    """A complete raw config (as a config.json would hold it) training simpletuner/tiny-<family> on shapes."""
    images = write_demo_dataset(workspace / "datasets" / "shapes", count=8)
    dataloader = workspace / "configs" / name / "multidatabackend.json"
    dataloader.parent.mkdir(parents=True, exist_ok=True)
    dataloader.write_text(
        json.dumps(
            [
                {
                    "id": "shapes",
                    "type": "local",
                    "dataset_type": "image",
                    "instance_data_dir": str(images),
                    "caption_strategy": "textfile",
                    "resolution": 64,
                    "resolution_type": "pixel_area",
                    "minimum_image_size": 32,
                    "crop": True,
                    "crop_style": "center",
                    "crop_aspect": "square",
                    "cache_dir_vae": str(workspace / "cache" / "vae" / name),
                },
                {
                    "id": "text",
                    "type": "local",
                    "dataset_type": "text_embeds",
                    "default": True,
                    "cache_dir": str(workspace / "cache" / "text" / name),
                },
            ]
        )
    )
    return {
        "model_family": family,
        "model_type": "lora",
        "pretrained_model_name_or_path": f"simpletuner/tiny-{family}",
        "output_dir": str(workspace / "output" / name),
        "data_backend_config": str(dataloader),
        "max_train_steps": 4,
        "num_train_epochs": 0,
        "train_batch_size": 2,
        "learning_rate": 1e-3,
        "optimizer": "adamw",
        "lr_scheduler": "constant",
        "mixed_precision": "no",
        "lora_rank": 4,
        "lora_dropout": 0.0,
        "seed": 42,
        "checkpointing_steps": 10_000,
        "validation_steps": 10_000,
        "validation_prompt": "",
        "validation_resolution": "64",
        "validation_num_inference_steps": 2,
        "resolution": 64,
        "resume_from_checkpoint": "",
        "caption_dropout_probability": 0.0,
    } | overrides
