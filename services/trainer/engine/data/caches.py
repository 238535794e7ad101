"""Latent and text-embedding caches: one safetensors file per item, named by a hash of everything that shaped it."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import torch
from safetensors.torch import load_file, save_file

Tensors = dict[str, torch.Tensor]
Progress = Callable[[int, int], None]
Item = TypeVar("Item")
SUFFIX = ".safetensors"


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes: renaming or moving an image keeps its cache entry, editing it does not."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class TensorCache:
    """A folder of `<sha256>.safetensors` files whose names cover the model and family that produced them."""

    def __init__(self, directory: Path, model_path: str, family: str) -> None:
        self.directory = directory
        self._namespace = (model_path, family)

    def key(self, *parts: object) -> str:
        # JSON keeps the parts apart ("ab","c" and "a","bc" must not collide)
        text = json.dumps([*self._namespace, *parts], separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def __contains__(self, key: str) -> bool:
        return self.path(key).is_file()

    def load(self, key: str) -> Tensors:
        if key not in self:
            raise FileNotFoundError(f"{self.path(key)} is not cached yet; fill the cache before training")
        return load_file(self.path(key))

    def write(self, entries: Mapping[str, Tensors]) -> None:
        """Write each entry to a temporary file and rename it into place, so readers never see half a file."""
        if not entries:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for key, tensors in entries.items():
            temporary = self.directory / f".{key}.{uuid.uuid4().hex}.tmp"
            try:
                save_file({name: value.detach().cpu().contiguous() for name, value in tensors.items()}, temporary)
                os.replace(temporary, self.path(key))
            finally:
                temporary.unlink(missing_ok=True)


def fill(
    cache: TensorCache,
    jobs: Iterable[tuple[str, Item]],
    encode: Callable[[list[Item]], Sequence[Tensors]],
    batch_size: int,
    write_batch_size: int,
    progress: Progress | None = None,
) -> int:
    """Encode the jobs whose key is not cached yet, `batch_size` at a time; returns how many were encoded.

    Results are written every `write_batch_size` items and once more on the way out, also when `encode` raises:
    finished work is kept and nothing partial is left behind.
    """
    unique = dict(jobs)
    todo = [(key, item) for key, item in unique.items() if key not in cache]
    total, done = len(unique), len(unique) - len(todo)
    report = progress or (lambda current, total: None)
    report(done, total)
    pending: dict[str, Tensors] = {}
    try:
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            outputs = encode([item for _, item in chunk])
            if len(outputs) != len(chunk):
                raise ValueError(f"the encoder returned {len(outputs)} results for {len(chunk)} inputs")
            pending.update({key: output for (key, _), output in zip(chunk, outputs, strict=True)})
            if len(pending) >= write_batch_size:
                cache.write(pending)
                pending.clear()
            done += len(chunk)
            report(done, total)
    finally:
        cache.write(pending)
    return len(todo)


def batch_images(
    encode_images: Callable[[torch.Tensor], torch.Tensor], load: Callable[[Item], torch.Tensor]
) -> Callable[[list[Item]], list[Tensors]]:
    """An encode function for `fill` over image items: load each, encode same-size groups together, split."""

    def encode(items: list[Item]) -> list[Tensors]:
        pixels = [load(item) for item in items]
        results: list[Tensors] = [{} for _ in items]
        for shape in dict.fromkeys(tuple(p.shape) for p in pixels):  # a chunk may straddle two buckets
            members = [index for index, p in enumerate(pixels) if tuple(p.shape) == shape]
            latents = encode_images(torch.stack([pixels[index] for index in members]))
            for index, latent in zip(members, latents, strict=True):
                results[index] = {"latents": latent.clone()}  # clone: one file must not hold the whole batch
        return results

    return encode
