"""Validation: sample the prompts with the model being trained, save the images, announce them (with previews);
or, with validation_method=external-script, hand the newest checkpoint to the user's script."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from PIL import Image

from simpletuner.api.events.v1 import events_pb2 as ev

from .events import RunEvents
from .families.base import ModelFamily, SampleRequest
from .hooks import Hooks
from .run_config import ConfigError, RunConfig

if TYPE_CHECKING:
    from .data.pipeline import TrainingData

# A few prompts that show how a model treats people, objects, text and scenes (validation_prompt_library).
BUILTIN_LIBRARY = {
    "portrait": "a close-up portrait of a woman with freckles, soft window light",
    "object": "a red ceramic teapot on a wooden table",
    "text": "a neon sign that says 'open late' on a brick wall",
    "landscape": "a mountain lake at sunrise, mist over the water",
}


def data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def resolutions(text: str) -> list[tuple[int, int]]:
    """validation_resolution: "1024", "1024x768" or several separated by commas -> [(width, height)]."""
    found = []
    for part in (piece.strip() for piece in text.split(",") if piece.strip()):
        width, _, height = part.lower().partition("x")
        try:
            found.append((int(width), int(height or width)))
        except ValueError:
            raise ConfigError([("validation_resolution", f"{part!r} is not WIDTHxHEIGHT or one number")]) from None
    return found or [(1024, 1024)]


class Validator:
    """Runs validations for one training run; prompts come from the text cache (encoders are unloaded by then)."""

    def __init__(
        self, config: RunConfig, family: ModelFamily, data: TrainingData, events: RunEvents, hooks: Hooks | None = None
    ) -> None:
        self.config = config
        self.family = family
        self.data = data
        self.events = events
        self.hooks = hooks or Hooks(config, events)
        self.folder = config.output_dir / "validation_images"

    @property
    def external(self) -> bool:
        return self.config["validation_method"] == "external-script"

    @property
    def enabled(self) -> bool:
        if self.external:
            return bool(self.config["validation_external_script"])
        return bool(self.config["validation_prompt"])

    def library(self) -> dict[str, str]:
        """Short name -> prompt for every prompt validated."""
        prompts: dict[str, str] = {}
        if self.config["validation_prompt"]:
            prompts["validation"] = str(self.config["validation_prompt"])
        if self.config["validation_prompt_library"]:
            prompts |= BUILTIN_LIBRARY
        path = self.config.path("user_prompt_library")
        if path is not None:
            try:
                prompts |= {str(k): str(v) for k, v in json.loads(path.read_text()).items()}
            except (OSError, ValueError, AttributeError) as exc:
                raise ConfigError(
                    [("user_prompt_library", f"{path}: {exc}; give a JSON object of name: prompt")]
                ) from None
        return prompts

    def prompts(self) -> list[str]:
        """Everything validation will need embeddings for (cached with the captions)."""
        return [*self.library().values(), str(self.config["validation_negative_prompt"] or ""), ""]

    @torch.no_grad()
    def run(self, denoiser: torch.nn.Module, step: int, total_steps: int, model: Path | None = None) -> list[Path]:
        """The saved images; an external script is given `model` (the newest checkpoint or the final model)."""
        if self.external:
            self.hooks.validate(model, step)
            return []
        denoiser.eval()
        pipeline = self.family.build_pipeline(denoiser)
        pipeline.set_progress_bar_config(disable=True)  # events and the run's own bars report progress
        negative = self.data.prompt_embeds(str(self.config["validation_negative_prompt"] or ""))
        saved = []
        for name, prompt in self.library().items():
            for width, height in resolutions(str(self.config["validation_resolution"])):
                for index in range(int(self.config["num_validation_images"] or 1)):
                    image = self._sample(pipeline, prompt, negative, (width, height), index, step, total_steps)
                    saved.append(self._save(image, step, name, (width, height), index))
                    title = f"Validation (step {step}/{total_steps}): {name}"
                    self._announce(image, title, prompt, step, (width, height), "final", f"{step}/{total_steps}", 0)
        return saved

    def _sample(
        self,
        pipeline: object,
        prompt: str,
        negative: dict[str, torch.Tensor],
        size: tuple[int, int],
        index: int,
        step: int,
        total_steps: int,
    ) -> Image.Image:
        seed = int(self.config["validation_seed"] or 0) + index
        steps = int(self.config["validation_num_inference_steps"])
        generator = torch.Generator(device=self.family.device).manual_seed(seed)
        request = SampleRequest(
            embeds=self.data.prompt_embeds(prompt),
            negative_embeds=negative,
            width=size[0],
            height=size[1],
            num_inference_steps=steps,
            guidance=float(self.config["validation_guidance"]),
            generator=generator,
            on_step=self._previewer(prompt, step, size, steps) if self.config["validation_preview"] else None,
        )
        return self.family.generate(pipeline, request)  # type: ignore[arg-type]

    def _previewer(
        self, prompt: str, step: int, size: tuple[int, int], steps: int
    ) -> Callable[[int, int, torch.Tensor], None]:
        every = max(1, int(self.config["validation_preview_steps"] or 1))

        def on_step(index: int, timestep: int, latents: torch.Tensor) -> None:
            if index == 0 or (index + 1) % every == 0:
                image = self.family.decode_latents(latents)
                title = f"Validation (step {index + 1}/{steps}): preview"
                self._announce(image, title, prompt, step, size, "intermediary", f"{index + 1}/{steps}", timestep)

        return on_step

    def _save(self, image: Image.Image, step: int, name: str, size: tuple[int, int], index: int) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"step_{step}_{name}_{size[0]}x{size[1]}_{index}.png"
        image.save(path)
        return path

    def _announce(
        self,
        image: Image.Image,
        title: str,
        prompt: str,
        step: int,
        size: tuple[int, int],
        kind: str,
        label: str,
        timestep: int,
    ) -> None:
        event = ev.ValidationImage(
            title=title,
            prompt=prompt,
            step=step,
            timestep=int(timestep),
            resolution=list(size),
            validation_type=kind,
            step_label=label,
            images=[ev.Media(src=data_uri(image), mime_type="image/png")],
        )
        self.events.validation_image(event)
