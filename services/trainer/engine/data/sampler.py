"""Batches from aspect buckets: one bucket and one dataset per batch, a seeded order per epoch, exact resumes."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Bucket:
    """Samples of one dataset that share a training size (indices into the caller's sample list)."""

    dataset_id: str
    size: tuple[int, int]  # (width, height)
    samples: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.size[0]}x{self.size[1]}"


class BatchSizeError(ValueError):
    """A dataset is too small for one optimizer step; the message gives the numbers and the three ways out."""


@dataclass(frozen=True)
class BatchPlan:
    """What each dataset contributes per step: its per-GPU batch size and how many extra passes it makes."""

    batch_sizes: Mapping[str, int]
    repeats: Mapping[str, int]


def check_effective_batch(
    buckets: Sequence[Bucket],
    plan: BatchPlan,
    world_size: int,
    gradient_accumulation_steps: int,
    repeats_given: Mapping[str, bool],
    allow_oversubscription: bool,
) -> tuple[dict[str, int], list[str]]:
    """Repeats per dataset after the effective-batch check (raised when oversubscription allows), and warnings.

    effective batch = train_batch_size × world_size × gradient_accumulation_steps; each dataset needs one bucket
    holding that many samples after repeats, or it can never fill an optimizer step on its own.
    """
    repeats, warnings, problems = dict(plan.repeats), [], []
    for dataset_id in sorted({bucket.dataset_id for bucket in buckets}):
        largest = max((b for b in buckets if b.dataset_id == dataset_id), key=lambda b: len(b.samples))
        batch = plan.batch_sizes[dataset_id]
        effective = batch * world_size * gradient_accumulation_steps
        count, current = len(largest.samples), repeats.get(dataset_id, 0)
        if count * (current + 1) >= effective:
            continue
        needed = math.ceil(effective / count) - 1
        if allow_oversubscription and not repeats_given.get(dataset_id, False):
            repeats[dataset_id] = needed
            warnings.append(
                f"dataset {dataset_id!r}: repeats raised from {current} to {needed} so its largest bucket "
                f"({largest.label}, {count} images) fills an effective batch of {effective} "
                "(allow_dataset_oversubscription)"
            )
            continue
        steps = gradient_accumulation_steps
        problems.append(_too_small(dataset_id, largest, current, needed, batch, world_size, steps))
    if problems:
        raise BatchSizeError("\n".join(problems))
    return repeats, warnings


def _too_small(dataset_id: str, largest: Bucket, current: int, needed: int, batch: int, gpus: int, steps: int) -> str:
    count = len(largest.samples)
    effective = batch * gpus * steps
    held = "repeats is set in the dataloader file, so allow_dataset_oversubscription leaves it alone; "
    return (
        f"dataset {dataset_id!r} is smaller than the effective batch size: train_batch_size {batch} × {gpus} GPU(s) "
        f"× gradient_accumulation_steps {steps} = {effective} samples per optimizer step, but its largest aspect "
        f"bucket ({largest.label}) holds {count * (current + 1)} ({count} images × (repeats {current} + 1)). "
        + (held if current else "")
        + f'Lower the batch size, set "repeats": {needed} (or more) on this dataset, '
        "or enable --allow_dataset_oversubscription to raise repeats automatically."
    )


class Sampler:
    """Whole batches from single buckets; `iterate(epoch, start_batch)` replays a run's order exactly."""

    def __init__(self, buckets: Sequence[Bucket], plan: BatchPlan, seed: int) -> None:
        self.seed = seed
        self.plan = plan
        self.warnings: list[str] = []
        self.buckets: list[Bucket] = []
        for bucket in sorted(buckets, key=lambda b: (b.dataset_id, b.size)):
            batch = plan.batch_sizes[bucket.dataset_id]
            available = len(bucket.samples) * (plan.repeats.get(bucket.dataset_id, 0) + 1)
            if available >= batch:
                self.buckets.append(bucket)
                continue
            self.warnings.append(
                f"dataset {bucket.dataset_id!r}: aspect bucket {bucket.label} has {available} sample(s), fewer than "
                f"its batch size {batch}; those images are skipped every epoch (add similar images or raise repeats)"
            )
        self._cached: tuple[int, list[list[int]]] | None = None

    @property
    def batches_per_epoch(self) -> int:
        total = 0
        for bucket in self.buckets:
            passes = self.plan.repeats.get(bucket.dataset_id, 0) + 1
            total += len(bucket.samples) * passes // self.plan.batch_sizes[bucket.dataset_id]
        return total

    def epoch(self, epoch: int) -> list[list[int]]:
        """Every batch of `epoch` in order: a pure function of (seed, epoch), so resumes see the same list."""
        if self._cached is not None and self._cached[0] == epoch:
            return self._cached[1]
        generator = torch.Generator().manual_seed(self.seed + epoch)
        batches: list[list[int]] = []
        for bucket in self.buckets:
            order: list[int] = []
            for _ in range(self.plan.repeats.get(bucket.dataset_id, 0) + 1):
                # each repeat is its own permutation, so a sample never appears twice within one pass
                order += [bucket.samples[i] for i in torch.randperm(len(bucket.samples), generator=generator)]
            size = self.plan.batch_sizes[bucket.dataset_id]
            batches += [order[start : start + size] for start in range(0, len(order) - size + 1, size)]
        shuffled = [batches[i] for i in torch.randperm(len(batches), generator=generator)]
        self._cached = (epoch, shuffled)
        return shuffled

    def iterate(self, epoch: int, start_batch: int = 0) -> Iterator[list[int]]:
        """The batches of `epoch` from index `start_batch` on (what a full run would have yielded from there)."""
        yield from self.epoch(epoch)[start_batch:]
