"""Aspect bucketing: each image's training size, resize and crop, never enlarging the source."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy
import torch
from PIL import Image, ImageOps

from simpletuner.libs.options.dataloader import DatasetEntry

ALIGNMENT = 64  # SimpleTuner's aspect_bucket_alignment default: latent sizes divide evenly through every UNet level
ROUNDING = 2  # aspect_bucket_rounding: ratios are compared at two decimals


@dataclass(frozen=True)
class Settings:
    """One dataset's bucketing options, dataset values first and the run's as fallbacks."""

    resolution: float
    resolution_type: str  # pixel | pixel_area | area
    minimum_image_size: float | None = None
    maximum_image_size: float | None = None
    target_downsample_size: float | None = None
    minimum_aspect_ratio: float | None = None
    maximum_aspect_ratio: float | None = None
    crop: bool = False
    crop_style: str = "random"
    crop_aspect: str = "square"
    crop_aspect_buckets: tuple[tuple[float, float], ...] = ()  # (aspect ratio, weight)
    alignment: int = ALIGNMENT
    seed: int = 0

    @classmethod
    def of(
        cls, entry: DatasetEntry, resolution: float, resolution_type: str, minimum: float | None, seed: int
    ) -> Settings:
        return cls(
            resolution=entry.resolution or resolution,
            resolution_type=entry.resolution_type or resolution_type,
            minimum_image_size=entry.minimum_image_size if entry.minimum_image_size is not None else minimum,
            maximum_image_size=entry.maximum_image_size,
            target_downsample_size=entry.target_downsample_size,
            minimum_aspect_ratio=entry.minimum_aspect_ratio,
            maximum_aspect_ratio=entry.maximum_aspect_ratio,
            crop=entry.crop,
            crop_style=entry.crop_style,
            crop_aspect=entry.crop_aspect,
            crop_aspect_buckets=tuple((b.aspect_bucket, b.weight) for b in entry.crop_aspect_buckets or ()),
            seed=seed,
        )


@dataclass(frozen=True)
class Placement:
    """How one image becomes a training sample: resize to `resized`, then cut `target` out at `crop`."""

    original: tuple[int, int]  # (width, height) of the source image
    resized: tuple[int, int]  # (width, height) after the Lanczos resize
    target: tuple[int, int]  # (width, height) of the training crop; equal targets share a bucket
    crop: tuple[int, int]  # (top, left) of the crop inside the resized image


def measure(width: int, height: int, resolution_type: str) -> float:
    """An image's size in resolution_type units: short edge (pixel), edge of the equal square (pixel_area), MP."""
    if resolution_type == "pixel":
        return float(min(width, height))
    if resolution_type == "pixel_area":
        return math.sqrt(width * height)
    return width * height / 1_000_000


def _align(value: float, alignment: int, down: bool = False) -> int:
    steps = math.floor(value / alignment) if down else round(value / alignment)
    return max(int(steps), 0 if down else 1) * alignment


def bucket_size(aspect: float, size: float, settings: Settings, down: bool = False) -> tuple[int, int]:
    """(width, height) of an aspect ratio at `size` (resolution_type units), aligned to the bucket grid."""
    if settings.resolution_type == "pixel":
        width, height = (size * aspect, size) if aspect >= 1 else (size, size / aspect)
    else:
        edge = size if settings.resolution_type == "pixel_area" else math.sqrt(size * 1_000_000)
        width, height = edge * math.sqrt(aspect), edge / math.sqrt(aspect)
    return _align(width, settings.alignment, down), _align(height, settings.alignment, down)


def place(width: int, height: int, settings: Settings, name: str) -> Placement | str:
    """The placement of a (width, height) image, or why it is left out. `name` seeds its random choices."""
    ratio = round(width / height, ROUNDING)
    low, high = settings.minimum_aspect_ratio, settings.maximum_aspect_ratio
    if (low is not None and ratio < low) or (high is not None and ratio > high):
        return "aspect ratio outside minimum_aspect_ratio..maximum_aspect_ratio"
    size = measure(width, height, settings.resolution_type)
    if settings.minimum_image_size and size < settings.minimum_image_size:
        return "smaller than minimum_image_size"
    rng = random.Random(f"{settings.seed}:{name}")  # string seeds hash stably, so a rerun draws the same crop
    working = _downsampled(width, height, size, settings)
    aspect = _crop_aspect(ratio, settings, rng) if settings.crop else ratio
    target = bucket_size(aspect, settings.resolution, settings)
    if target[0] > working[0] or target[1] > working[1]:
        # the bucket would enlarge the image: use the image's own size instead, rounded down onto the grid
        own = bucket_size(aspect, measure(*working, settings.resolution_type), settings, down=True)
        floor = _align(working[0], settings.alignment, True), _align(working[1], settings.alignment, True)
        target = (min(own[0], floor[0]), min(own[1], floor[1]))
        if min(target) < settings.alignment:
            return f"smaller than one {settings.alignment}-pixel block"
    if not settings.crop:
        return Placement((width, height), target, target, (0, 0))  # squeezed by at most the grid rounding
    resized = cover(width, height, target)
    if working != (width, height) and working[0] >= target[0] and working[1] >= target[1]:
        resized = working  # target_downsample_size sets how much of the scene the crop keeps
    return Placement((width, height), resized, target, _crop(resized, target, settings.crop_style, rng))


def _downsampled(width: int, height: int, size: float, settings: Settings) -> tuple[int, int]:
    limit, goal = settings.maximum_image_size, settings.target_downsample_size
    if limit is None or goal is None or size <= limit or goal >= size:
        return width, height
    scale = goal / size if settings.resolution_type != "area" else math.sqrt(goal / size)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _crop_aspect(ratio: float, settings: Settings, rng: random.Random) -> float:
    buckets = settings.crop_aspect_buckets
    if settings.crop_aspect == "square":
        return 1.0
    if settings.crop_aspect == "closest" and buckets:
        return min(buckets, key=lambda bucket: abs(bucket[0] - ratio))[0]
    if settings.crop_aspect == "random" and buckets:
        return rng.choices([b[0] for b in buckets], weights=[b[1] for b in buckets])[0]
    return ratio  # preserve


def cover(width: int, height: int, target: tuple[int, int]) -> tuple[int, int]:
    """The smallest size with the source's proportions that contains `target`."""
    scale = max(target[0] / width, target[1] / height)
    return max(target[0], round(width * scale)), max(target[1], round(height * scale))


def _crop(resized: tuple[int, int], target: tuple[int, int], style: str, rng: random.Random) -> tuple[int, int]:
    spare_w, spare_h = resized[0] - target[0], resized[1] - target[1]
    if style in ("center", "centre"):
        return spare_h // 2, spare_w // 2
    if style == "corner":
        return 0, 0  # SimpleTuner's current corner crop keeps the top-left
    return rng.randint(0, spare_h), rng.randint(0, spare_w)


def pair(width: int, height: int, primary: Placement, strict: bool) -> Placement | str:
    """The placement of a conditioning image for `primary`: the same crop when `strict` (pixel-aligned, which
    needs the same proportions), otherwise a centred crop of the same size."""
    if strict:
        ratio, wanted = round(width / height, ROUNDING), round(primary.original[0] / primary.original[1], ROUNDING)
        if ratio != wanted:
            return f"aspect ratio {ratio} differs from its training image's {wanted} (use reference_loose)"
        return Placement((width, height), primary.resized, primary.target, primary.crop)
    resized = cover(width, height, primary.target)  # a small reference may be enlarged: it is only a condition
    spare_w, spare_h = resized[0] - primary.target[0], resized[1] - primary.target[1]
    return Placement((width, height), resized, primary.target, (spare_h // 2, spare_w // 2))


def load_pixels(path: Path, placement: Placement) -> torch.Tensor:
    """The training crop as a (3, H, W) float tensor in [-1, 1]: EXIF-upright, RGB, Lanczos-resized, cropped."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    if image.size != placement.resized:
        image = image.resize(placement.resized, Image.Resampling.LANCZOS)
    top, left = placement.crop
    width, height = placement.target
    image = image.crop((left, top, left + width, top + height))
    pixels = torch.from_numpy(numpy.array(image))  # (H, W, 3) uint8
    return pixels.permute(2, 0, 1).float().div(127.5).sub(1.0)
