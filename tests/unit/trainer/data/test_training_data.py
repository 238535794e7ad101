"""TrainingData end to end with fake encoders: from a RunConfig to cached, resumable, deterministic Batches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from simpletuner.libs.options.dataloader import DataloaderError
from simpletuner.services.trainer.engine.data.discovery import DiscoveryError
from simpletuner.services.trainer.engine.data.pipeline import TrainingData
from simpletuner.services.trainer.engine.data.sampler import BatchSizeError

MakeImage = Callable[..., Path]  # fixtures from conftest.py
MakeConfig = Callable[..., Any]
TEXT = {"id": "text", "type": "local", "dataset_type": "text_embeds", "default": True, "cache_dir": "cache/text"}
PHOTOS = {
    "id": "photos",
    "type": "local",
    "instance_data_dir": "datasets/photos",
    "caption_strategy": "textfile",
    "resolution": 64,
    "resolution_type": "pixel",
    "crop": True,
    "crop_style": "random",
    "crop_aspect": "preserve",
}


@pytest.fixture
def photos(tmp_path: Path, make_image: MakeImage) -> Path:
    """Six square and four wide images with one or two captions each."""
    folder = tmp_path / "datasets" / "photos"
    for index in range(6):
        make_image(folder / f"square_{index}.png", (96, 96), caption=f"square {index}\nanother square {index}")
    for index in range(4):
        make_image(folder / f"wide_{index}.jpg", (200, 100), caption=f"wide {index}")
    return folder


def _data(make_config: MakeConfig, entries: list[dict[str, Any]] | None = None, **values: Any) -> TrainingData:
    return TrainingData.from_config(make_config(entries or [PHOTOS, TEXT], train_batch_size=2, **values))


def _cached(data: TrainingData, vae: Any, text: Any) -> TrainingData:
    data.cache_text(text, ["a validation prompt"])
    data.cache_latents(vae)
    return data


def test_batches_stack_cached_latents_and_embeddings_from_one_bucket(
    photos: Path, make_config: MakeConfig, fake_vae: Any, fake_text: Any
) -> None:
    data = _cached(_data(make_config), fake_vae, fake_text)
    assert data.batches_per_epoch == 3 + 2  # six squares and four wides (128x64) in twos
    shapes = set()
    for batch in data.iterate(0):
        assert batch.latents.shape[:2] == (2, 4) and batch.embeds["prompt_embeds"].shape == (2, 4, 8)
        assert batch.embeds["pooled"].shape == (2, 8) and batch.conditioning_latents is None
        height, width = batch.target_sizes[0].tolist()
        assert batch.latents.shape[2:] == (height // 8, width // 8)
        assert (batch.target_sizes == batch.target_sizes[0]).all()  # one bucket per batch
        shapes.add((height, width))
        assert batch.original_sizes[0].tolist() in ([96, 96], [100, 200])
    assert shapes == {(64, 64), (64, 128)}


def test_a_second_run_over_the_same_data_encodes_nothing(
    photos: Path, make_config: MakeConfig, fake_vae: Any, fake_text: Any
) -> None:
    first = _data(make_config)
    assert first.cache_latents(fake_vae) == 10 and fake_vae.encoded == 10
    assert first.cache_text(fake_text, ["a validation prompt"]) == 6 * 2 + 4 + 2  # captions, "" and the prompt
    again, vae, text = _data(make_config), type(fake_vae)(), type(fake_text)()
    assert again.cache_latents(vae) == 0 and again.cache_text(text, ["a validation prompt"]) == 0
    assert vae.encoded == 0 and text.prompts == []
    assert len(list((photos.parents[1] / "cache" / "vae" / "photos").glob("*.safetensors"))) == 10


def test_another_model_or_training_size_gets_its_own_latents(
    photos: Path, make_config: MakeConfig, fake_vae: Any
) -> None:
    _data(make_config).cache_latents(fake_vae)
    assert _data(make_config, pretrained_model_name_or_path="tiny/other").cache_latents(fake_vae) == 10
    # at 128 px the wide images train at 192x64 instead of 128x64; the 96 px squares still give the same 64x64
    # crop (never enlarged), so only the four wide latents are new
    bigger = [PHOTOS | {"resolution": 128}, TEXT]
    assert _data(make_config, bigger).cache_latents(fake_vae) == 4
    assert fake_vae.encoded == 24


def test_progress_runs_to_the_total_of_all_items(photos: Path, make_config: MakeConfig, fake_vae: Any) -> None:
    seen: list[tuple[int, int]] = []
    _data(make_config).cache_latents(fake_vae, lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_resuming_mid_epoch_yields_identical_batches_including_dropout_and_caption_draws(
    photos: Path, make_config: MakeConfig, fake_vae: Any, fake_text: Any
) -> None:
    full = list(_cached(_data(make_config, caption_dropout_probability=0.5), fake_vae, fake_text).iterate(2))
    resumed = list(_data(make_config, caption_dropout_probability=0.5).iterate(2, start_batch=3))  # a new process
    assert len(resumed) == len(full) - 3
    for expected, got in zip(full[3:], resumed, strict=True):
        assert torch.equal(expected.latents, got.latents) and torch.equal(expected.crop_coords, got.crop_coords)
        assert all(torch.equal(expected.embeds[key], got.embeds[key]) for key in expected.embeds)


def test_two_processes_take_alternate_batches_of_the_same_epoch_order(
    photos: Path, make_config: MakeConfig, fake_vae: Any, fake_text: Any
) -> None:
    data = _cached(_data(make_config), fake_vae, fake_text)
    alone = list(data.iterate(1))
    first, second = list(data.iterate(1, rank=0, world=2)), list(data.iterate(1, rank=1, world=2))
    assert len(first) == len(second) == data.rounds_per_epoch(2) == len(alone) // 2
    interleaved = [batch for pair in zip(first, second, strict=True) for batch in pair]
    for expected, got in zip(alone, interleaved, strict=False):
        assert torch.equal(expected.latents, got.latents)


def test_caption_dropout_swaps_in_the_empty_prompt_at_its_rate(
    photos: Path, make_config: MakeConfig, fake_vae: Any, fake_text: Any
) -> None:
    data = _cached(_data(make_config, caption_dropout_probability=0.5), fake_vae, fake_text)
    empty = data.text[""].cache.load(data.text[""].cache.key("text", ""))["pooled"]
    dropped = kept = 0
    for epoch in range(6):
        for batch in data.iterate(epoch):
            for pooled in batch.embeds["pooled"]:
                dropped, kept = (dropped + 1, kept) if torch.equal(pooled, empty) else (dropped, kept + 1)
    assert 10 < dropped < 50 and 10 < kept < 50  # 60 draws at one half
    never = _cached(_data(make_config), fake_vae, fake_text)
    assert all(not torch.equal(p, empty) for batch in never.iterate(0) for p in batch.embeds["pooled"])


def test_validation_prompts_are_served_from_the_default_text_cache(
    photos: Path, make_config: MakeConfig, fake_vae: Any, fake_text: Any
) -> None:
    data = _cached(_data(make_config), fake_vae, fake_text)
    assert torch.equal(
        data.prompt_embeds("a validation prompt")["prompt_embeds"],
        fake_text(["a validation prompt"])[0]["prompt_embeds"],
    )
    assert (photos.parents[1] / "cache" / "text").is_dir()
    with pytest.raises(FileNotFoundError, match="not cached yet"):
        data.prompt_embeds("never cached")


def test_the_seeds_config_prefix_finds_the_file_in_the_workspace(
    photos: Path, make_config: MakeConfig, tmp_path: Path
) -> None:
    config = make_config([PHOTOS, TEXT])
    (tmp_path / "config").mkdir()
    (tmp_path / "configs" / "multidatabackend.json").rename(tmp_path / "config" / "once.json")
    moved = type(config)(config.as_dict() | {"data_backend_config": "config/once.json"}, tmp_path)
    assert TrainingData.from_config(moved).batches_per_epoch == 10  # train_batch_size 1


def test_a_small_dataset_fails_the_effective_batch_check_unless_oversubscription_is_allowed(
    photos: Path, make_config: MakeConfig
) -> None:
    with pytest.raises(BatchSizeError, match="'photos' is smaller than the effective batch size"):
        _data(make_config, gradient_accumulation_steps=4)  # 2 × 1 × 4 = 8 > the 6 squares
    data = TrainingData.from_config(
        make_config(
            [PHOTOS, TEXT], train_batch_size=2, gradient_accumulation_steps=4, allow_dataset_oversubscription=True
        )
    )
    assert any("repeats raised from 0 to 1" in warning for warning in data.warnings)
    assert data.batches_per_epoch == 6 + 4


def test_edit_datasets_get_their_paired_reference_latents(
    photos: Path, make_config: MakeConfig, make_image: MakeImage, fake_vae: Any, fake_text: Any, tmp_path: Path
) -> None:
    for path in photos.iterdir():
        if path.suffix != ".txt":
            make_image(
                tmp_path / "datasets" / "refs" / f"{path.stem}.png", (48, 48) if "square" in path.name else (100, 50)
            )
    refs = {"id": "refs", "type": "local", "dataset_type": "conditioning", "instance_data_dir": "datasets/refs"}
    edit = PHOTOS | {"conditioning_data": ["refs"]}
    data = _cached(_data(make_config, [edit, refs, TEXT]), fake_vae, fake_text)
    assert fake_vae.encoded == 20
    for batch in data.iterate(0):
        assert batch.conditioning_latents is not None and batch.conditioning_latents.shape == batch.latents.shape


def test_images_without_a_reference_of_the_same_name_are_named(
    photos: Path, make_config: MakeConfig, make_image: MakeImage, tmp_path: Path
) -> None:
    make_image(tmp_path / "datasets" / "refs" / "square_0.png", (96, 96))
    refs = {"id": "refs", "type": "local", "dataset_type": "conditioning", "instance_data_dir": "datasets/refs"}
    with pytest.raises(DiscoveryError, match=r"do not pair: square_1\.png: no image of the same name in .*'refs'"):
        _data(make_config, [PHOTOS | {"conditioning_data": "refs"}, refs, TEXT])


def test_unsupported_and_broken_datasets_stop_before_any_work(photos: Path, make_config: MakeConfig) -> None:
    with pytest.raises(DataloaderError, match=r"multidatabackend\.json\[0\]\.type: 'aws' is not supported yet"):
        _data(make_config, [PHOTOS | {"type": "aws"}, TEXT])
    with pytest.raises(DataloaderError, match="has no enabled image dataset"):
        _data(make_config, [PHOTOS | {"disabled": True}, TEXT])
    with pytest.raises(DiscoveryError, match="datasets/elsewhere does not exist"):
        _data(make_config, [PHOTOS | {"instance_data_dir": "datasets/elsewhere"}, TEXT])


def test_images_left_out_by_size_are_counted_in_a_warning(
    photos: Path, make_config: MakeConfig, make_image: MakeImage
) -> None:
    make_image(photos / "tiny.png", (40, 40), caption="too small")
    data = _data(make_config, [PHOTOS | {"minimum_image_size": 64}, TEXT])
    assert "dataset 'photos': 1 image(s) left out: smaller than minimum_image_size" in data.warnings
    assert len(data.samples) == 10
