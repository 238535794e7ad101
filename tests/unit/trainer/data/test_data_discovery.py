"""Discovery: a local dataset's images, their sizes and captions per caption_strategy, and errors that say the fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs.options.dataloader import DatasetEntry
from simpletuner.services.trainer.engine.data.discovery import (
    DiscoveryError,
    discover,
    filename_caption,
    image_size,
    list_images,
)

MakeImage = Callable[..., Path]  # the make_image fixture (conftest.py)


def _entry(**values: Any) -> DatasetEntry:
    return DatasetEntry.model_validate({"id": "photos", "type": "local", "instance_data_dir": "x"} | values)


def test_every_image_format_is_listed_recursively_in_a_stable_order(tmp_path: Path, make_image: MakeImage) -> None:
    for name in ("b.png", "a.jpg", "sub/c.webp", "sub/d.bmp", "e.JPEG", ".hidden/f.png"):
        make_image(tmp_path / name, (16, 16))
    (tmp_path / "notes.txt").write_text("not an image")
    found = [path.relative_to(tmp_path).as_posix() for path in list_images(tmp_path)]
    assert found == ["a.jpg", "b.png", "e.JPEG", "sub/c.webp", "sub/d.bmp"]


def test_sizes_follow_exif_orientation_as_the_image_will_be_loaded(tmp_path: Path, make_image: MakeImage) -> None:
    upright = make_image(tmp_path / "upright.jpg", (120, 80))
    turned = make_image(tmp_path / "turned.jpg", (120, 80), exif_orientation=6)  # stored sideways, shown portrait
    assert image_size(upright) == (120, 80) and image_size(turned) == (80, 120)


@pytest.mark.parametrize(
    ("name", "caption"),
    [
        ("a_red_fox.png", "a red fox"),
        ("a_red_fox (2).png", "a red fox"),
        ("cat_on_a_mat_003.jpg", "cat on a mat"),
        ("sunset-12.webp", "sunset"),
        ("1999.png", "1999"),
    ],
)
def test_filename_captions_swap_underscores_and_drop_copy_counters(name: str, caption: str) -> None:
    assert filename_caption(Path(name)) == caption


def test_a_textfile_with_several_lines_gives_several_captions(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "dog.png", (32, 32), caption="a dog\n\n  a brown dog on grass  \n")
    (found,) = discover(_entry(caption_strategy="textfile"), tmp_path)
    assert found.captions == ("a dog", "a brown dog on grass") and (found.width, found.height) == (32, 32)
    (whole,) = discover(_entry(caption_strategy="textfile", disable_multiline_split=True), tmp_path)
    assert whole.captions == ("a dog\n\n  a brown dog on grass",)


def test_a_missing_caption_file_is_named_with_the_fix(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "with.png", (32, 32), caption="fine")
    make_image(tmp_path / "without.png", (32, 32))
    with pytest.raises(DiscoveryError) as caught:
        discover(_entry(caption_strategy="textfile"), tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "without.txt") in message and str(tmp_path / "with.txt") not in message
    assert '"caption_strategy": "filename"' in message


def test_instance_prompts_replace_or_prefix_captions(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "blue_car.png", (32, 32))
    (only,) = discover(_entry(caption_strategy="instanceprompt", instance_prompt="sks car"), tmp_path)
    (prefixed,) = discover(_entry(prepend_instance_prompt=True, instance_prompt="sks"), tmp_path)
    (forced,) = discover(_entry(only_instance_prompt=True, instance_prompt="sks"), tmp_path)
    assert only.captions == ("sks car",) and prefixed.captions == ("sks blue car",) and forced.captions == ("sks",)


def test_a_jsonl_table_gives_captions_by_file_name(tmp_path: Path, make_image: MakeImage) -> None:
    for name in ("one.png", "sub/two.png"):
        make_image(tmp_path / name, (32, 32))
    rows = [{"file_name": "one.png", "caption": "first"}, {"file_name": "sub/two.png", "caption": ["a", "b"]}]
    (tmp_path / "metadata.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    found = {image.relative: image.captions for image in discover(_entry(caption_strategy="jsonl"), tmp_path)}
    assert found == {"one.png": ("first",), "sub/two.png": ("a", "b")}


def test_a_csv_table_named_by_metadata_file_gives_captions(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "one.png", (32, 32))
    (tmp_path / "captions.csv").write_text('file_name,caption\none.png,"a cat, sleeping"\n')
    (found,) = discover(_entry(caption_strategy="csv", metadata_file="captions.csv"), tmp_path)
    assert found.captions == ("a cat, sleeping",)


def test_simpletuners_parquet_block_may_point_at_a_jsonl_table(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "1001.png", (32, 32))
    make_image(tmp_path / "1002.png", (32, 32))
    rows = [{"id": 1001, "cogvlm": "a lake", "tags": "lake"}, {"id": 1002, "cogvlm": "", "tags": "forest"}]
    (tmp_path / "table.jsonl").write_text("\n".join(json.dumps(row) for row in rows))
    block = {"path": "table.jsonl", "filename_column": "id", "caption_column": "cogvlm"}
    block["fallback_caption_column"] = "tags"
    found = discover(_entry(caption_strategy="parquet", parquet=block), tmp_path)
    assert [image.captions for image in found] == [("a lake",), ("forest",)]


def test_images_missing_from_the_table_are_named(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "listed.png", (32, 32))
    make_image(tmp_path / "forgotten.png", (32, 32))
    (tmp_path / "metadata.jsonl").write_text(json.dumps({"file_name": "listed.png", "caption": "here"}))
    with pytest.raises(DiscoveryError, match=r"no caption in .*metadata\.jsonl for .*forgotten\.png"):
        discover(_entry(caption_strategy="jsonl"), tmp_path)


def test_a_missing_table_folder_or_empty_dataset_says_what_to_do(tmp_path: Path, make_image: MakeImage) -> None:
    with pytest.raises(DiscoveryError, match="does not exist; create it"):
        discover(_entry(), tmp_path / "nowhere")
    with pytest.raises(DiscoveryError, match=r"no images \(.*\) in .*; add some"):
        discover(_entry(), tmp_path)
    make_image(tmp_path / "one.png", (32, 32))
    with pytest.raises(DiscoveryError, match=r"caption table .*metadata\.jsonl not found"):
        discover(_entry(caption_strategy="jsonl"), tmp_path)


def test_conditioning_datasets_are_discovered_without_captions(tmp_path: Path, make_image: MakeImage) -> None:
    make_image(tmp_path / "ref.png", (40, 20))
    (found,) = discover(_entry(caption_strategy="textfile"), tmp_path, with_captions=False)
    assert found.captions == () and (found.width, found.height) == (40, 20)
