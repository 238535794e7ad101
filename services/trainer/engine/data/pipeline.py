"""A run's training data: datasets discovered and bucketed, caches filled, and Batches served in a resumable order."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from simpletuner.libs import jsontext
from simpletuner.libs.options import validation
from simpletuner.libs.options.dataloader import (
    DataloaderError,
    DatasetEntry,
    Problem,
    default_text_embeds,
    parse_dataloader,
    unsupported,
)

from ..families.base import Batch, PromptEmbeds
from ..run_config import RunConfig
from . import caches
from .sampler import BatchPlan, Bucket, Sampler, check_effective_batch
from .samples import Sample, cache_root, dataset_samples, model_identity, pixels, workspace_path

EncodeImages = Callable[[torch.Tensor], torch.Tensor]
EncodePrompts = Callable[[list[str]], list[PromptEmbeds]]
WRITE_BATCH_SIZE = 128  # SimpleTuner's --write_batch_size default
TEXT_ENCODER_BATCH_SIZE = 1  # SimpleTuner's --text_encoder_batch_size default


@dataclass(frozen=True)
class TextBackend:
    cache: caches.TensorCache
    batch_size: int
    write_batch_size: int


def load_dataloader(config: RunConfig, configs_dir: Path | None = None) -> tuple[list[DatasetEntry], list[str], str]:
    """The entries of config's data_backend_config (paths as the validator resolves them), warnings, file name."""
    given = str(config["data_backend_config"] or "")
    found = validation.resolve_path(given, configs_dir or config.workspace / "configs", config.workspace)
    if not given or found is None:
        fix = "Create it, or point --data_backend_config at an existing file"
        raise DataloaderError([Problem(given or "data_backend_config", "not found", fix)])
    try:
        data = jsontext.loads(found.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataloaderError([Problem(found.name, f"is not valid JSON ({exc})", "Fix the syntax")]) from exc
    entries, warnings = parse_dataloader(data, source=found.name)
    return entries, warnings, found.name


class TrainingData:
    """Samples of every enabled image dataset, their caches, and the sampler that orders them."""

    def __init__(
        self,
        samples: list[Sample],
        sampler: Sampler,
        text: dict[str, TextBackend],  # dataset id (and "" for validation prompts) -> its text cache
        config: RunConfig,
        warnings: list[str],
    ) -> None:
        self.samples = samples
        self.sampler = sampler
        self.text = text
        self.warnings = warnings + sampler.warnings
        self.seed = int(config["seed"] or 0)
        self.caption_dropout_probability = float(config["caption_dropout_probability"] or 0.0)
        self.vae_batch_size = int(config["vae_batch_size"])

    @classmethod
    def from_config(
        cls, config: RunConfig, world_size: int = 1, entries: list[DatasetEntry] | None = None, source: str = ""
    ) -> TrainingData:
        """Discover, bucket and check every enabled dataset (reading data_backend_config unless given entries)."""
        warnings: list[str] = []
        if entries is None:
            entries, warnings, source = load_dataloader(config)
        source = source or "multidatabackend.json"
        problems = unsupported(entries, source)
        active = [entry for entry in entries if not entry.disabled]
        if not any(entry.dataset_type == "image" for entry in active):
            problems.append(Problem(source, "has no enabled image dataset", 'Add one with "dataset_type": "image"'))
        if problems:
            raise DataloaderError(problems)
        by_id = {entry.id: entry for entry in active}
        text = _text_backends(config, active)
        samples: list[Sample] = []
        for entry in active:
            if entry.dataset_type == "image":
                samples += dataset_samples(config, entry, by_id, warnings)
                text[entry.id] = text[entry.text_embeds or ""]
                if entry.vae_cache_clear_each_epoch:
                    warnings.append(f"dataset {entry.id!r}: vae_cache_clear_each_epoch is not implemented yet")
        groups: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
        for index, sample in enumerate(samples):
            groups[(sample.dataset_id, sample.placement.target)].append(index)
        found = [Bucket(dataset, size, tuple(members)) for (dataset, size), members in groups.items()]
        images = [entry for entry in active if entry.dataset_type == "image"]
        plan = BatchPlan(
            {entry.id: entry.train_batch_size or int(config["train_batch_size"]) for entry in images},
            {entry.id: entry.repeats for entry in images},
        )
        repeats, adjusted = check_effective_batch(
            found,
            plan,
            world_size,
            int(config["gradient_accumulation_steps"]),
            {entry.id: entry.repeats_given for entry in images},
            bool(config["allow_dataset_oversubscription"]),
        )
        sampler = Sampler(found, BatchPlan(plan.batch_sizes, repeats), int(config["seed"] or 0))
        return cls(samples, sampler, text, config, warnings + adjusted)

    @property
    def batches_per_epoch(self) -> int:
        return self.sampler.batches_per_epoch

    def cache_text(
        self, encode_prompts: EncodePrompts, prompts_extra: Sequence[str] = (), progress: caches.Progress | None = None
    ) -> int:
        """Embed every caption, the empty prompt (caption dropout) and `prompts_extra` (validation prompts, which
        go to the default text cache); returns how many were encoded (0 when all were cached)."""
        wanted: dict[int, tuple[TextBackend, set[str]]] = {}
        for dataset_id, backend in self.text.items():
            wanted.setdefault(id(backend), (backend, {""}))
            prompts = wanted[id(backend)][1]
            prompts.update(prompts_extra if dataset_id == "" else ())
        for sample in self.samples:
            wanted[id(self.text[sample.dataset_id])][1].update(sample.image.captions)
        jobs = [
            (backend, [(backend.cache.key("text", prompt), prompt) for prompt in sorted(prompts)])
            for backend, prompts in wanted.values()
        ]
        report = _Combined(progress, sum(len(group) for _, group in jobs))
        encoded = 0
        for backend, group in jobs:
            sizes = backend.batch_size, backend.write_batch_size
            encoded += caches.fill(backend.cache, group, encode_prompts, *sizes, report.part(len(group)))
        return encoded

    def cache_latents(self, encode_images: EncodeImages, progress: caches.Progress | None = None) -> int:
        """Encode every training (and conditioning) crop not cached yet; returns how many were encoded."""
        by_cache: dict[Path, tuple[caches.TensorCache, dict[str, Sample]]] = {}
        for sample in self.samples:
            for item in (sample, sample.conditioning):
                if item is not None:
                    by_cache.setdefault(item.cache.directory, (item.cache, {}))[1][item.key] = item
        encode = caches.batch_images(encode_images, pixels)
        report = _Combined(progress, sum(len(items) for _, items in by_cache.values()))
        encoded = 0
        for cache, items in by_cache.values():
            ordered = sorted(items.items(), key=lambda pair: pair[1].placement.target)  # same sizes batch together
            sizes = self.vae_batch_size, WRITE_BATCH_SIZE
            encoded += caches.fill(cache, ordered, encode, *sizes, report.part(len(ordered)))
        return encoded

    def rounds_per_epoch(self, world: int = 1) -> int:
        """Micro-steps per epoch when `world` processes each take one batch a step (the tail that would leave
        some process without a batch is skipped, so every process takes the same number of steps)."""
        return self.batches_per_epoch // world

    def iterate(self, epoch: int, start_batch: int = 0, rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """Process `rank`'s batches of the epoch from micro-step `start_batch` on: global batch
        `step * world + rank`, so the processes split every step's batches and a resumed run continues exactly."""
        order = self.sampler.epoch(epoch)
        for step in range(start_batch, self.rounds_per_epoch(world)):
            index = step * world + rank
            yield self._batch([self.samples[member] for member in order[index]], self._generator(epoch, index))

    def prompt_embeds(self, prompt: str) -> PromptEmbeds:
        """A prompt's cached embeddings from the default text cache (validation prompts were passed to cache_text)."""
        backend = self.text[""]
        return backend.cache.load(backend.cache.key("text", prompt))

    def _generator(self, epoch: int, index: int) -> torch.Generator:
        # one generator per batch, derived from its position, so a resumed run draws exactly what the full one did
        digest = hashlib.sha256(f"{self.seed}:{epoch}:{index}".encode()).digest()
        return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") >> 1)

    def _batch(self, members: list[Sample], generator: torch.Generator) -> Batch:
        prompts = []
        for sample in members:
            dropped = float(torch.rand((), generator=generator)) < self.caption_dropout_probability
            choice = int(torch.randint(len(sample.image.captions), (), generator=generator))
            prompts.append("" if dropped else sample.image.captions[choice])
        text = self.text[members[0].dataset_id].cache
        embeds = [text.load(text.key("text", prompt)) for prompt in prompts]
        conditioning = [sample.conditioning for sample in members if sample.conditioning is not None]
        return Batch(
            latents=torch.stack([sample.cache.load(sample.key)["latents"] for sample in members]),
            embeds={name: torch.stack([embed[name] for embed in embeds]) for name in embeds[0]},
            original_sizes=torch.tensor([s.placement.original[::-1] for s in members]),
            crop_coords=torch.tensor([s.placement.crop for s in members]),
            target_sizes=torch.tensor([s.placement.target[::-1] for s in members]),
            conditioning_latents=(
                torch.stack([c.cache.load(c.key)["latents"] for c in conditioning]) if conditioning else None
            ),
        )


class _Combined:
    """One progress count over several cache fills, each reporting its own done/total."""

    def __init__(self, progress: caches.Progress | None, total: int) -> None:
        self.progress, self.total, self.offset = progress, total, 0

    def part(self, size: int) -> caches.Progress:
        start, self.offset = self.offset, self.offset + size

        def report(current: int, total: int) -> None:
            if self.progress is not None:
                self.progress(start + current, self.total)

        return report


def _text_backends(config: RunConfig, active: list[DatasetEntry]) -> dict[str, TextBackend]:
    """Text caches by text_embeds id, with "" for the default one (validation prompts, unlinked datasets)."""
    model, family = model_identity(config), config.model_family
    backends = {}
    for entry in active:
        if entry.dataset_type == "text_embeds":
            cache = caches.TensorCache(workspace_path(config, str(entry.cache_dir)), model, family)
            batch = entry.text_encoder_batch_size or TEXT_ENCODER_BATCH_SIZE
            backends[entry.id] = TextBackend(cache, batch, entry.write_batch_size or WRITE_BATCH_SIZE)
    default = default_text_embeds(active)
    if default is not None:
        backends[""] = backends[default.id]
    else:  # no text_embeds entry: the run's cache_dir_text (the validator warned about it)
        directory = config.path("cache_dir_text") or cache_root(config) / "text"
        cache = caches.TensorCache(directory, model, family)
        backends[""] = TextBackend(cache, TEXT_ENCODER_BATCH_SIZE, WRITE_BATCH_SIZE)
    return backends
