"""The tensor caches: reuse across runs, keys that change with what shaped the tensors, and atomic batched writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from simpletuner.services.trainer.engine.data import caches
from simpletuner.services.trainer.engine.data.caches import SUFFIX, TensorCache, batch_images, fill

Tensors = dict[str, torch.Tensor]


class CountingEncoder:
    """Turns each number into a tensor; counts what it was asked for and can fail on a chosen call."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls: list[list[int]] = []
        self.fail_on_call = fail_on_call

    def __call__(self, items: list[int]) -> list[Tensors]:
        self.calls.append(items)
        if len(self.calls) == self.fail_on_call:
            raise RuntimeError("encoder failed")
        return [{"value": torch.full((2, 3), float(item))} for item in items]


def _jobs(cache: TensorCache, count: int) -> list[tuple[str, int]]:
    return [(cache.key("n", item), item) for item in range(count)]


def _files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def test_a_second_fill_with_the_same_inputs_encodes_nothing(tmp_path: Path) -> None:
    cache, encoder = TensorCache(tmp_path, "tiny/model", "sd1x"), CountingEncoder()
    assert fill(cache, _jobs(cache, 5), encoder, 2, 128) == 5
    assert [len(call) for call in encoder.calls] == [2, 2, 1]
    again = CountingEncoder()
    assert fill(TensorCache(tmp_path, "tiny/model", "sd1x"), _jobs(cache, 5), again, 2, 128) == 0
    assert again.calls == []
    assert torch.equal(cache.load(cache.key("n", 3))["value"], torch.full((2, 3), 3.0))


def test_keys_change_with_the_model_the_family_and_every_part() -> None:
    base = TensorCache(Path("x"), "tiny/model", "sd1x")
    key = base.key("latents", "abc", (64, 64), (0, 0))
    assert key == TensorCache(Path("y"), "tiny/model", "sd1x").key("latents", "abc", (64, 64), (0, 0))
    assert key != TensorCache(Path("x"), "other/model", "sd1x").key("latents", "abc", (64, 64), (0, 0))
    assert key != TensorCache(Path("x"), "tiny/model", "sdxl").key("latents", "abc", (64, 64), (0, 0))
    assert key != base.key("latents", "abc", (128, 64), (0, 0))
    assert key != base.key("latents", "abc", (64, 64), (0, 8))
    assert base.key("ab", "c") != base.key("a", "bc")


def test_an_encoder_failure_leaves_only_whole_files_and_keeps_finished_work(tmp_path: Path) -> None:
    cache = TensorCache(tmp_path, "tiny/model", "sd1x")
    with pytest.raises(RuntimeError, match="encoder failed"):
        fill(cache, _jobs(cache, 10), CountingEncoder(fail_on_call=3), 2, 128)
    files = _files(tmp_path)
    assert [path.suffix for path in files] == [SUFFIX] * 4  # two finished batches, no temporary files
    for path in files:
        assert cache.load(path.name.removesuffix(SUFFIX))["value"].shape == (2, 3)
    resumed = CountingEncoder()
    assert fill(cache, _jobs(cache, 10), resumed, 2, 128) == 6
    assert sorted(item for call in resumed.calls for item in call) == [4, 5, 6, 7, 8, 9]


def test_a_write_that_dies_halfway_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(tensors: Tensors, path: Path) -> None:
        Path(path).write_bytes(b"half a header")
        raise OSError("No space left on device")

    monkeypatch.setattr(caches, "save_file", disk_full)
    cache = TensorCache(tmp_path, "tiny/model", "sd1x")
    with pytest.raises(OSError, match="No space"):
        cache.write({cache.key("n", 1): {"value": torch.zeros(1)}})
    assert _files(tmp_path) == []


def test_results_are_written_in_groups_of_write_batch_size(tmp_path: Path) -> None:
    cache = TensorCache(tmp_path, "tiny/model", "sd1x")
    on_disk: list[int] = []
    fill(cache, _jobs(cache, 7), CountingEncoder(), 1, 3, lambda done, total: on_disk.append(len(_files(tmp_path))))
    assert on_disk == [0, 0, 0, 3, 3, 3, 6, 6] and len(_files(tmp_path)) == 7  # the last one on the way out


def test_progress_counts_cached_items_as_done_and_ends_at_the_total(tmp_path: Path) -> None:
    cache = TensorCache(tmp_path, "tiny/model", "sd1x")
    fill(cache, _jobs(cache, 2), CountingEncoder(), 4, 128)
    seen: list[tuple[int, int]] = []
    fill(cache, _jobs(cache, 5), CountingEncoder(), 2, 128, lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_image_batches_mixing_two_sizes_are_encoded_per_size_in_order() -> None:
    sizes: list[tuple[int, ...]] = []

    def encode_images(pixels: torch.Tensor) -> torch.Tensor:
        sizes.append(tuple(pixels.shape))
        return pixels[:, :1, ::8, ::8] + 0

    shapes: dict[int, Any] = {0: (3, 16, 16), 1: (3, 8, 16), 2: (3, 16, 16)}
    encode = batch_images(encode_images, lambda item: torch.full(shapes[item], float(item)))
    latents = [result["latents"] for result in encode([0, 1, 2])]
    assert sizes == [(2, 3, 16, 16), (1, 3, 8, 16)]
    assert [float(latent.mean()) for latent in latents] == [0.0, 1.0, 2.0]
    assert latents[0].untyped_storage().nbytes() == latents[0].numel() * 4  # its own storage, not the batch's
