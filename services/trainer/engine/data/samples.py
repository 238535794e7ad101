"""From a dataset entry to training samples: discovered, bucketed, given a latent cache key, paired for edits."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from simpletuner.libs.options.dataloader import DatasetEntry

from ..run_config import RunConfig
from . import buckets, caches, discovery


@dataclass(frozen=True)
class Sample:
    """One training image, how it is cropped, and where its latents are cached."""

    dataset_id: str
    image: discovery.ImageFile
    placement: buckets.Placement
    cache: caches.TensorCache  # where its latents live
    key: str  # its latents' cache key
    conditioning: Sample | None = None  # the paired reference image (edit models)


def dataset_samples(
    config: RunConfig, entry: DatasetEntry, by_id: dict[str, DatasetEntry], warnings: list[str]
) -> list[Sample]:
    """An image dataset's samples: discovered, placed in buckets, keyed in its VAE cache and paired with
    conditioning images; images left out by size or aspect are counted in `warnings`."""
    settings = buckets.Settings.of(
        entry,
        float(config["resolution"]),
        str(config["resolution_type"]),
        config["minimum_image_size"],
        int(config["seed"] or 0),
    )
    cache = vae_cache(config, entry)
    pairs = _conditioning(config, entry, by_id)
    samples: list[Sample] = []
    dropped: Counter[str] = Counter()
    unpaired: list[str] = []
    for image in discovery.discover(entry, workspace_path(config, str(entry.instance_data_dir))):
        placement = buckets.place(image.width, image.height, settings, f"{entry.id}/{image.relative}")
        if isinstance(placement, str):
            dropped[placement] += 1
            continue
        key = cache.key("latents", caches.file_digest(image.path), placement.resized, placement.target, placement.crop)
        sample = Sample(entry.id, image, placement, cache, key)
        if pairs is not None:
            paired = _paired(sample, pairs)
            if isinstance(paired, str):
                unpaired.append(f"{image.relative}: {paired}")
                continue
            sample = Sample(entry.id, image, placement, cache, key, paired)
        samples.append(sample)
    for reason, count in dropped.items():
        warnings.append(f"dataset {entry.id!r}: {count} image(s) left out: {reason}")
    if unpaired:
        shown = "; ".join(unpaired[:5]) + (f"; and {len(unpaired) - 5} more" if len(unpaired) > 5 else "")
        raise discovery.DiscoveryError(f"dataset {entry.id!r}: conditioning images do not pair: {shown}")
    if not samples:
        raise discovery.DiscoveryError(
            f"dataset {entry.id!r}: every image was left out ({', '.join(dropped)}); "
            "lower minimum_image_size, widen the aspect ratio limits, or add larger images"
        )
    return samples


@dataclass(frozen=True)
class _Pairs:
    entry: DatasetEntry
    cache: caches.TensorCache
    images: dict[str, discovery.ImageFile]  # relative path without extension -> image


def _conditioning(config: RunConfig, entry: DatasetEntry, by_id: dict[str, DatasetEntry]) -> _Pairs | None:
    if not entry.conditioning_data:
        return None
    linked = by_id[entry.conditioning_data[0]]
    found = discovery.discover(linked, workspace_path(config, str(linked.instance_data_dir)), with_captions=False)
    images = {str(Path(image.relative).with_suffix("")): image for image in found}
    return _Pairs(linked, vae_cache(config, linked), images)


def _paired(sample: Sample, pairs: _Pairs) -> Sample | str:
    image = pairs.images.get(str(Path(sample.image.relative).with_suffix("")))
    if image is None:
        return f"no image of the same name in conditioning dataset {pairs.entry.id!r}"
    strict = pairs.entry.conditioning_type in (None, "reference_strict", "controlnet", "mask")
    placement = buckets.pair(image.width, image.height, sample.placement, strict)
    if isinstance(placement, str):
        return placement
    digest = caches.file_digest(image.path)
    key = pairs.cache.key("latents", digest, placement.resized, placement.target, placement.crop)
    return Sample(pairs.entry.id, image, placement, pairs.cache, key)


def pixels(sample: Sample) -> torch.Tensor:
    """The training crop of a sample, as the VAE takes it."""
    return buckets.load_pixels(sample.image.path, sample.placement)


def workspace_path(config: RunConfig, value: str) -> Path:
    given = Path(value).expanduser()
    return given if given.is_absolute() else config.workspace / given


def _folder_name(dataset_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", dataset_id).strip("._") or "dataset"


def cache_root(config: RunConfig) -> Path:
    return config.path("cache_dir") or config.workspace / "cache"


def model_identity(config: RunConfig, vae: bool = False) -> str:
    """The weights that produce a cache's tensors, as part of every cache key (a separate VAE counts for latents)."""
    path = (vae and config["pretrained_vae_model_name_or_path"]) or config["pretrained_model_name_or_path"]
    revision = config["revision"]
    return f"{path}@{revision}" if revision else str(path)


def vae_cache(config: RunConfig, entry: DatasetEntry) -> caches.TensorCache:
    """The dataset's cache_dir_vae, else <cache_dir_vae or cache_dir/vae>/<dataset id> (keys hold the model, so
    models may share a folder)."""
    if entry.cache_dir_vae:
        directory = workspace_path(config, entry.cache_dir_vae)
    else:
        directory = (config.path("cache_dir_vae") or cache_root(config) / "vae") / _folder_name(entry.id)
    return caches.TensorCache(directory, model_identity(config, vae=True), config.model_family)
