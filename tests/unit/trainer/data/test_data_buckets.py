"""Aspect bucketing against hand-computed sizes: each resolution_type, no upscaling, size limits and crops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import torch
from PIL import Image

from simpletuner.libs.options.dataloader import DatasetEntry
from simpletuner.services.trainer.engine.data.buckets import Placement, Settings, load_pixels, pair, place

MakeImage = Callable[..., Path]  # the make_image fixture (conftest.py)


def _settings(**values: Any) -> Settings:
    return Settings(**({"resolution": 256, "resolution_type": "pixel"} | values))


def test_pixel_scales_the_short_edge_to_the_resolution() -> None:
    # 400x200 at 128 px: short edge 200 -> 128, long edge 256; both already on the 64 grid
    assert place(400, 200, _settings(resolution=128), "a") == Placement((400, 200), (256, 128), (256, 128), (0, 0))


def test_pixel_area_keeps_the_area_of_the_resolution_square() -> None:
    # 600x400 (1.5) at 256 px area: W = 256·√1.5 = 313.5 -> 320, H = 256/√1.5 = 209.0 -> 192;
    # covering resize: scale max(320/600, 192/400) = 0.5333 -> 320x213, centre crop top = (213-192)//2 = 10
    settings = _settings(resolution_type="pixel_area", crop=True, crop_aspect="preserve", crop_style="center")
    assert place(600, 400, settings, "a") == Placement((600, 400), (320, 213), (320, 192), (10, 0))


def test_area_counts_megapixels() -> None:
    # 0.065536 MP is a 256x256 square
    settings = _settings(resolution=0.065536, resolution_type="area")
    assert place(512, 512, settings, "a") == Placement((512, 512), (256, 256), (256, 256), (0, 0))
    assert place(1024, 256, settings, "b").target == (512, 128)  # 4:1 at the same area: 512·128 = 65536


def test_an_image_smaller_than_its_bucket_is_never_enlarged() -> None:
    # 200x100 at 256 px would need 512x256: the image's own size is used instead, rounded down to 192x64
    settings = _settings(crop=True, crop_aspect="preserve", crop_style="center")
    placement = place(200, 100, settings, "a")
    assert placement == Placement((200, 100), (192, 96), (192, 64), (16, 0))
    assert isinstance(placement, Placement) and placement.resized[0] <= 200 and placement.resized[1] <= 100


def test_images_under_minimum_image_size_or_one_grid_block_are_left_out() -> None:
    assert place(100, 300, _settings(minimum_image_size=128), "a") == "smaller than minimum_image_size"
    assert place(40, 40, _settings(), "a") == "smaller than one 64-pixel block"
    area = _settings(resolution=1.0, resolution_type="area", minimum_image_size=0.25)
    assert place(400, 400, area, "a") == "smaller than minimum_image_size" and isinstance(
        place(600, 500, area, "b"), Placement
    )


def test_aspect_ratio_limits_leave_out_extreme_images() -> None:
    settings = _settings(minimum_aspect_ratio=0.5, maximum_aspect_ratio=2.0)
    assert isinstance(place(512, 256, settings, "a"), Placement)
    assert place(768, 256, settings, "b") == "aspect ratio outside minimum_aspect_ratio..maximum_aspect_ratio"


def test_target_downsample_size_sets_how_much_scene_a_crop_keeps() -> None:
    square = _settings(resolution=128, crop=True, crop_style="center")
    # without it, 1024x512 is shrunk just enough to cover 128x128 (256x128) and the middle is cut out
    assert place(1024, 512, square, "a") == Placement((1024, 512), (256, 128), (128, 128), (0, 64))
    # short edge 512 > maximum 256: shrunk to a 192 short edge (384x192) first, so the crop keeps less of the scene
    limited = _settings(
        resolution=128, crop=True, crop_style="center", maximum_image_size=256, target_downsample_size=192
    )
    assert place(1024, 512, limited, "a") == Placement((1024, 512), (384, 192), (128, 128), (32, 128))


def test_closest_crop_aspect_picks_the_nearest_listed_bucket() -> None:
    settings = _settings(resolution=128, crop=True, crop_style="corner", crop_aspect="closest")
    settings = Settings(**(settings.__dict__ | {"crop_aspect_buckets": ((1.0, 1.0), (1.5, 1.0))}))
    # 2.0 is nearest 1.5: 192x128 cut from the top-left corner of 256x128
    assert place(1000, 500, settings, "a") == Placement((1000, 500), (256, 128), (192, 128), (0, 0))


def test_random_crops_are_reproducible_and_differ_between_images() -> None:
    settings = _settings(resolution=64, crop=True, crop_style="random", seed=3)
    first = [place(640, 256, settings, f"img{i}") for i in range(8)]
    again = [place(640, 256, settings, f"img{i}") for i in range(8)]
    reseeded = [place(640, 256, Settings(**(settings.__dict__ | {"seed": 4})), f"img{i}") for i in range(8)]
    assert first == again and first != reseeded
    assert len({p.crop for p in first if isinstance(p, Placement)}) > 1


def test_without_crop_an_image_is_resized_straight_to_its_bucket() -> None:
    placement = place(600, 400, _settings(resolution_type="pixel_area"), "a")
    assert placement == Placement((600, 400), (320, 192), (320, 192), (0, 0))


def test_dataset_values_win_over_the_runs_and_the_run_fills_the_rest() -> None:
    entry = DatasetEntry.model_validate({"id": "a", "type": "local", "resolution": 512, "crop": True})
    settings = Settings.of(entry, 1024, "pixel_area", 256, seed=9)
    assert (settings.resolution, settings.resolution_type, settings.minimum_image_size, settings.crop) == (
        512,
        "pixel_area",
        256,
        True,
    )


def test_loaded_pixels_are_the_upright_resized_crop_in_minus_one_to_one(tmp_path: Path, make_image: MakeImage) -> None:
    path = make_image(tmp_path / "sideways.jpg", (160, 96), exif_orientation=6)  # shown as 96x160
    placement = place(96, 160, _settings(resolution=64, crop=True, crop_style="center"), "a")
    assert isinstance(placement, Placement)
    pixels = load_pixels(path, placement)
    assert pixels.shape == (3, 64, 64) and pixels.min() >= -1 and pixels.max() <= 1
    with Image.open(path) as image:
        expected = (
            image.transpose(Image.Transpose.ROTATE_270).convert("RGB").resize((64, 107), Image.Resampling.LANCZOS)
        )
    top, left = placement.crop
    reference = torch.from_numpy(numpy.array(expected.crop((left, top, left + 64, top + 64)))).float()
    assert torch.allclose(pixels.permute(1, 2, 0), reference / 127.5 - 1)


def test_conditioning_images_share_the_crop_when_strict_and_are_centred_when_loose() -> None:
    primary = Placement((400, 200), (256, 128), (128, 128), (0, 37))
    assert pair(800, 400, primary, strict=True) == Placement((800, 400), (256, 128), (128, 128), (0, 37))
    assert "differs" in str(pair(300, 300, primary, strict=True))
    assert pair(300, 300, primary, strict=False) == Placement((300, 300), (128, 128), (128, 128), (0, 0))
