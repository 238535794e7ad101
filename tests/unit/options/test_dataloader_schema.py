"""The multidatabackend.json schema: the seeds' files load, and every problem names its JSON path and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs import jsontext
from simpletuner.libs.options import validation
from simpletuner.libs.options.dataloader import (
    DataloaderError,
    default_text_embeds,
    parse_dataloader,
    unsupported,
)

# The seed's "Ejemplo: PixArt" file as written, with its duplicated "id" key
PIXART = """[
  {"id": "pixart-camera", "id": "pixart-camera", "type": "local", "dataset_type": "image",
   "instance_data_dir": "/data/datasets/pseudo-camera-10k", "caption_strategy": "filename", "resolution": 1.0,
   "resolution_type": "area", "minimum_image_size": 0.25, "maximum_image_size": 1.0, "target_downsample_size": 1.0,
   "cache_dir_vae": "/data/cache/vae/pixart/pseudo-camera-10k", "crop": true, "crop_style": "random",
   "crop_aspect": "square", "metadata_backend": "discovery"},
  {"id": "pixart-text-embeds", "type": "local", "dataset_type": "text_embeds", "default": true,
   "cache_dir": "/data/cache/text/pixart/pseudo-camera-10k", "write_batch_size": 128}
]"""
# The seed's Flux Kontext file, with "crop" twice (the second wins, as in any JSON parser)
KONTEXT = """[
  {"id": "kontext-edit", "type": "local", "dataset_type": "image", "instance_data_dir": "/data/datasets/kontext/edit",
   "conditioning_data": ["kontext-reference"], "resolution": 1024, "resolution_type": "pixel_area",
   "caption_strategy": "textfile", "minimum_image_size": 768, "maximum_image_size": 1536,
   "target_downsample_size": 1024, "cache_dir_vae": "/data/cache/vae/kontext/edit", "crop": false, "crop": true,
   "crop_style": "random", "crop_aspect": "square"},
  {"id": "kontext-reference", "type": "local", "dataset_type": "conditioning",
   "instance_data_dir": "/data/datasets/kontext/reference", "conditioning_type": "reference_strict",
   "resolution": 1024, "resolution_type": "pixel_area", "cache_dir_vae": "/data/cache/vae/kontext/reference"},
  {"id": "kontext-text-embeds", "type": "local", "dataset_type": "text_embeds", "default": true,
   "cache_dir": "/data/cache/text/kontext"}
]"""
IMAGE = {"id": "photos", "type": "local", "instance_data_dir": "datasets/photos"}
TEXT = {"id": "text", "type": "local", "dataset_type": "text_embeds", "cache_dir": "cache/text"}


def _problems(data: Any) -> dict[str, str]:
    with pytest.raises(DataloaderError) as caught:
        parse_dataloader(data)
    return {problem.path: f"{problem.message}. {problem.fix}" for problem in caught.value.problems}


def test_the_seeds_pixart_file_loads_with_its_duplicate_key() -> None:
    entries, warnings = parse_dataloader(jsontext.loads(PIXART))
    camera, text = entries
    assert camera.resolution_type == "area" and camera.resolution == 1.0 and camera.crop_style == "random"
    assert text.default and text.write_batch_size == 128
    assert warnings == [] and unsupported(entries) == []


def test_the_seeds_kontext_file_loads_and_the_last_crop_wins() -> None:
    entries, _ = parse_dataloader(jsontext.loads(KONTEXT))
    edit, reference, text = entries
    assert edit.crop is True and edit.conditioning_data == ["kontext-reference"]
    assert reference.conditioning_type == "reference_strict"
    assert default_text_embeds(entries) is text and unsupported(entries) == []


def test_simpletuner_defaults_fill_what_an_entry_leaves_out() -> None:
    (entry,), _ = parse_dataloader([IMAGE])
    assert (entry.dataset_type, entry.caption_strategy, entry.crop, entry.crop_style, entry.crop_aspect) == (
        "image",
        "filename",
        False,
        "random",
        "square",
    )
    assert entry.repeats == 0 and not entry.repeats_given and entry.hash_filenames


def test_bad_values_name_their_json_path_and_how_to_fix_them() -> None:
    bad = IMAGE | {"crop_style": "diagonal", "repeats": -1, "crop": "maybe", "crop_aspect_buckets": [1.0, "wide"]}
    problems = _problems([TEXT, bad])
    assert (
        "'diagonal' is not one of: 'random', 'center', 'centre', 'corner' or 'face'"
        in problems["multidatabackend.json[1].crop_style"]
    )
    assert "at least 0" in problems["multidatabackend.json[1].repeats"]
    assert "Write true or false" in problems["multidatabackend.json[1].crop"]
    assert "Write a number" in problems["multidatabackend.json[1].crop_aspect_buckets[1].aspect_bucket"]


def test_rules_across_keys_are_reported_together_with_type_errors() -> None:
    problems = _problems([{"id": "a", "type": "local", "caption_strategy": "vibes"}])
    assert set(problems) == {"multidatabackend.json[0].caption_strategy", "multidatabackend.json[0].instance_data_dir"}
    assert "instanceprompt" in problems["multidatabackend.json[0].caption_strategy"]  # the valid choices are listed


def test_missing_id_and_type_say_what_they_are_for() -> None:
    problems = _problems([{"instance_data_dir": "x"}])
    assert "stays the same between runs" in problems["multidatabackend.json[0].id"]
    assert '"type": "local"' in problems["multidatabackend.json[0].type"]


def test_captions_that_need_an_instance_prompt_and_random_crops_that_need_buckets_are_refused() -> None:
    problems = _problems([IMAGE | {"caption_strategy": "instanceprompt", "crop_aspect": "closest"}])
    assert "instance_prompt" in problems["multidatabackend.json[0].instance_prompt"]
    assert "[0.75, 1.0, 1.33]" in problems["multidatabackend.json[0].crop_aspect_buckets"]


def test_megapixels_under_a_pixel_resolution_type_and_the_reverse_are_caught() -> None:
    problems = _problems(
        [
            IMAGE | {"resolution_type": "area", "maximum_image_size": 2048},
            IMAGE | {"id": "b", "resolution_type": "pixel_area", "target_downsample_size": 1.5},
        ]
    )
    assert "looks like a pixel value" in problems["multidatabackend.json[0].maximum_image_size"]
    assert "looks like a megapixel value" in problems["multidatabackend.json[1].target_downsample_size"]


def test_links_ids_and_defaults_are_checked_across_entries() -> None:
    problems = _problems(
        [
            IMAGE | {"conditioning_data": "nowhere", "text_embeds": "photos"},
            IMAGE,
            TEXT | {"default": True},
            TEXT | {"id": "text-2", "default": True},
            IMAGE | {"id": "edit", "conditioning_data": ["refs"]},
            IMAGE | {"id": "refs", "dataset_type": "conditioning", "disabled": True},
        ]
    )
    assert "'refs' is disabled" in problems["multidatabackend.json[4].conditioning_data"]
    assert "used by several entries" in problems["multidatabackend.json[1].id"]
    assert "'nowhere' is not a conditioning dataset" in problems["multidatabackend.json[0].conditioning_data"]
    assert "not a text_embeds dataset" in problems["multidatabackend.json[0].text_embeds"]
    assert "several text_embeds entries are default" in problems["multidatabackend.json[3].default"]


def test_a_lone_text_embeds_entry_is_the_default_and_two_without_one_are_an_error() -> None:
    entries, _ = parse_dataloader([IMAGE, TEXT])
    assert default_text_embeds(entries) is entries[1]
    assert (
        "no text_embeds entry is the default"
        in _problems([IMAGE, TEXT, TEXT | {"id": "t2"}])["multidatabackend.json[1].default"]
    )


def test_unknown_keys_are_kept_and_warned_about_apart_from_simpletuner_ones() -> None:
    (entry, _), warnings = parse_dataloader([IMAGE | {"resolutoin": 512, "probability": 0.5}, TEXT])
    assert entry.extras == {"resolutoin": 512, "probability": 0.5}
    assert any("[0].resolutoin is not a dataloader key" in warning for warning in warnings)
    assert any("[0].probability is a SimpleTuner key this trainer does not use yet" in w for w in warnings)


def test_disable_is_accepted_as_a_spelling_of_disabled() -> None:
    entries, _ = parse_dataloader([IMAGE | {"disable": True}, IMAGE | {"id": "b", "disabled": True}, TEXT])
    assert [entry.disabled for entry in entries] == [True, True, False]


def test_a_file_that_is_not_a_list_is_refused_with_its_name() -> None:
    with pytest.raises(DataloaderError, match=r"mine\.json: must be a non-empty JSON list"):
        parse_dataloader({"id": "x"}, source="mine.json")


def test_features_simpletuner_has_and_this_trainer_lacks_are_not_supported_yet() -> None:
    entries, _ = parse_dataloader(
        [
            IMAGE | {"type": "aws", "crop_style": "face"},
            IMAGE | {"id": "v", "dataset_type": "video"},
            IMAGE | {"id": "p", "caption_strategy": "parquet", "parquet": {"path": "table.parquet"}},
            IMAGE | {"id": "off", "type": "huggingface", "disabled": True},  # disabled entries are not judged
            TEXT,
        ]
    )
    problems = {problem.path: problem.message for problem in unsupported(entries)}
    assert set(problems) == {
        "multidatabackend.json[0].type",
        "multidatabackend.json[0].crop_style",
        "multidatabackend.json[1].dataset_type",
        "multidatabackend.json[2].parquet.path",
    }
    assert "'aws' is not supported yet" in problems["multidatabackend.json[0].type"]


def test_the_validator_reports_schema_problems_under_data_backend_config(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "broken.json").write_text('[{"id": "a", "type": "aws", "crop_style": "diagonal"}, {"id": "a"}]')
    config = {"data_backend_config": "config/broken.json"}
    report = validation.check(config, set(config), configs, tmp_path)
    messages = [message for field, message in report.errors if field == "data_backend_config"]
    assert any(message.startswith("broken.json[0].crop_style: 'diagonal'") for message in messages)
    assert any(message.startswith("broken.json[1].type: is required") for message in messages)


def test_the_validator_refuses_what_the_trainer_cannot_train_and_passes_on_warnings(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('[{"id": "a", "type": "csv", "instance_data_dir": "x", "colour": 1}]')
    report = validation.check({"data_backend_config": "d.json"}, set(), tmp_path, tmp_path)
    errors = [message for field, message in report.errors if field == "data_backend_config"]
    warnings = [message for field, message in report.warnings if field == "data_backend_config"]
    assert errors == [
        "d.json[0].type: 'csv' is not supported yet by this trainer. Use one of: local, "
        'or set "disabled": true on this entry'
    ]
    assert any("d.json[0].colour is not a dataloader key" in warning for warning in warnings)
    assert any("has no text_embeds entry" in warning for warning in warnings)
