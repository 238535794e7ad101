"""Finding a local dataset's images, their sizes and their captions, per the entry's caption_strategy."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from simpletuner.libs.options.dataloader import DatasetEntry

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp"})
DEFAULT_TABLES = {"jsonl": "metadata.jsonl", "csv": "metadata.csv"}  # Hugging Face imagefolder's names
_ORIENTATION = 0x0112  # EXIF tag; values 5-8 turn the picture a quarter, so width and height swap when loaded
# "photo (2)", "photo_003", "photo-7": the copy counters file managers and exporters append to names
_COUNTER = re.compile(r"(?:\s*\(\d+\)|[\s_-]+\d+)$")
_SHOWN = 5  # problems listed by name in one error; the rest are counted


class DiscoveryError(ValueError):
    """A dataset cannot be read as configured; the message names the files and the fix."""


@dataclass(frozen=True)
class ImageFile:
    path: Path
    relative: str  # posix path inside the dataset folder: the sample's stable name, and how pairs are matched
    width: int  # as displayed, after EXIF orientation
    height: int
    captions: tuple[str, ...]  # one is drawn per use when there are several


def list_images(folder: Path) -> list[Path]:
    """Every image under `folder` (recursively, hidden folders skipped), in a stable order."""
    found = (
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and not _hidden(path.relative_to(folder))
    )
    return sorted(found)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as the image will be loaded; PIL reads only the header here, not the pixels."""
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(_ORIENTATION, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def filename_caption(path: Path) -> str:
    """SimpleTuner's filename strategy: the stem with underscores as spaces, minus a trailing copy counter."""
    stem = path.stem
    cleaned = _COUNTER.sub("", stem) or stem  # a name that is only a number stays as it is
    return " ".join(cleaned.replace("_", " ").split())


def discover(entry: DatasetEntry, folder: Path, with_captions: bool = True) -> list[ImageFile]:
    """The dataset's images with sizes and (unless `with_captions` is False, as for conditioning) captions."""
    if not folder.is_dir():
        raise DiscoveryError(
            f"dataset {entry.id!r}: instance_data_dir {folder} does not exist; "
            "create it, or fix the path in the dataloader file"
        )
    paths = list_images(folder)
    if not paths:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DiscoveryError(f"dataset {entry.id!r}: no images ({suffixes}) in {folder}; add some, or disable it")
    table = _caption_table(entry, folder) if with_captions else None
    files, missing, unreadable = [], [], []
    for path in paths:
        try:
            width, height = image_size(path)
        except (UnidentifiedImageError, OSError):
            unreadable.append(path)
            continue
        captions = _captions(entry, folder, path, table) if with_captions else ()
        if with_captions and not captions:
            missing.append(path)
            continue
        files.append(ImageFile(path, path.relative_to(folder).as_posix(), width, height, captions))
    if unreadable:
        raise DiscoveryError(f"dataset {entry.id!r}: cannot read {_names(unreadable)}; re-save or remove them")
    if missing:
        raise DiscoveryError(_missing_captions(entry, folder, missing))
    return files


def _names(paths: list[Path]) -> str:
    shown = ", ".join(str(path) for path in paths[:_SHOWN])
    return shown + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")


def _missing_captions(entry: DatasetEntry, folder: Path, paths: list[Path]) -> str:
    if entry.caption_strategy == "textfile":
        wanted = [path.with_suffix(".txt") for path in paths]
        return (
            f"dataset {entry.id!r}: caption file missing or empty: {_names(wanted)}; write one caption per line "
            'in each, or use "caption_strategy": "filename" or "instanceprompt"'
        )
    table = _table_path(entry, folder)
    return (
        f"dataset {entry.id!r}: no caption in {table} for {_names(paths)}; add a row per image "
        f"(columns {_columns(entry)[0]!r} and {_columns(entry)[1]!r})"
    )


def _captions(
    entry: DatasetEntry, folder: Path, path: Path, table: Mapping[str, tuple[str, ...]] | None
) -> tuple[str, ...]:
    if entry.only_instance_prompt or entry.caption_strategy == "instanceprompt":
        return (str(entry.instance_prompt),)
    if entry.caption_strategy == "filename":
        found: tuple[str, ...] = (filename_caption(path),)
    elif entry.caption_strategy == "textfile":
        found = _textfile(path.with_suffix(".txt"), entry.disable_multiline_split)
    else:
        found = _lookup(table or {}, path.relative_to(folder))
    if entry.prepend_instance_prompt and entry.instance_prompt:
        found = tuple(f"{entry.instance_prompt} {caption}" for caption in found)
    return found


def _textfile(path: Path, whole: bool) -> tuple[str, ...]:
    if not path.is_file():
        return ()
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    lines = [text] if whole else text.splitlines()
    return tuple(line.strip() for line in lines if line.strip())


# Caption tables (jsonl/csv, or SimpleTuner's `parquet` block pointing at a JSONL/CSV file)


def _table_path(entry: DatasetEntry, folder: Path) -> Path:
    given = (entry.parquet.path if entry.parquet else None) or entry.metadata_file
    name = given or DEFAULT_TABLES.get(entry.caption_strategy, DEFAULT_TABLES["jsonl"])
    path = Path(name).expanduser()
    return path if path.is_absolute() else folder / path


def _columns(entry: DatasetEntry) -> tuple[str, str, str | None]:
    table = entry.parquet
    if table is None:
        return "file_name", "caption", None
    return table.filename_column, table.caption_column, table.fallback_caption_column


def _caption_table(entry: DatasetEntry, folder: Path) -> dict[str, tuple[str, ...]] | None:
    if entry.caption_strategy not in ("jsonl", "csv", "parquet") or entry.only_instance_prompt:
        return None
    path = _table_path(entry, folder)
    if not path.is_file():
        raise DiscoveryError(
            f"dataset {entry.id!r}: caption table {path} not found; create it with one row per image "
            f'(columns "file_name" and "caption"), or name it with "metadata_file"'
        )
    name_column, caption_column, fallback = _columns(entry)
    table: dict[str, tuple[str, ...]] = {}
    for number, row in enumerate(_rows(path), start=1):
        if name_column not in row:
            raise DiscoveryError(f"{path} row {number} has no {name_column!r} column; add it, or set filename_column")
        captions = _caption_values(row.get(caption_column)) or _caption_values(row.get(fallback) if fallback else None)
        name = str(row[name_column]).strip().replace("\\", "/")
        table[name] = captions
    return table


def _rows(path: Path) -> Iterable[Mapping[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DiscoveryError(f"{path} line {number} is not valid JSON ({exc.msg}); fix or remove it") from exc
            if not isinstance(row, dict):
                raise DiscoveryError(f"{path} line {number} must be a JSON object")
            yield row


def _caption_values(value: Any) -> tuple[str, ...]:
    # JSONL rows may hold a list of captions (SimpleTuner's multi-caption tables); CSV cells are one caption
    values = value if isinstance(value, list) else [value]
    return tuple(str(item).strip() for item in values if item is not None and str(item).strip())


def _lookup(table: Mapping[str, tuple[str, ...]], relative: Path) -> tuple[str, ...]:
    # rows may name the file with or without its folder and extension (SimpleTuner's identifier_includes_extension)
    for key in (relative.as_posix(), relative.name, relative.with_suffix("").as_posix(), relative.stem):
        if key in table:
            return table[key]
    return ()
