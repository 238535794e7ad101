"""The multidatabackend.json schema: one model per dataset entry, with SimpleTuner's key names and defaults."""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeGuard, Union, get_args, get_origin

import annotated_types
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

BackendType = Literal["local", "aws", "csv", "huggingface", "webshart", "memory"]
DatasetType = Literal[
    "image", "video", "audio", "text_embeds", "image_embeds", "conditioning_image_embeds", "conditioning"
]
CaptionStrategy = Literal[
    "filename", "textfile", "instanceprompt", "jsonl", "csv", "parquet", "huggingface", "webshart"
]
ResolutionType = Literal["pixel", "pixel_area", "area"]
CropStyle = Literal["random", "center", "centre", "corner", "face"]
CropAspect = Literal["square", "preserve", "random", "closest"]
ConditioningType = Literal["controlnet", "mask", "reference_strict", "reference_loose"]
MetadataBackend = Literal["discovery", "parquet", "huggingface", "webshart"]

# What this trainer implements; the rest of each Literal is SimpleTuner's and is refused with "not supported yet".
SUPPORTED = {
    "type": ("local",),
    "dataset_type": ("image", "text_embeds", "conditioning"),
    "caption_strategy": ("filename", "textfile", "instanceprompt", "jsonl", "csv", "parquet"),
    "crop_style": ("random", "center", "centre", "corner"),
}
# SimpleTuner keys (documentation/DATALOADER.md) this trainer reads nowhere: kept, with a softer warning than typos get.
IGNORED_KEYS = frozenset(
    "aws_bucket_name aws_region_name aws_endpoint_url aws_access_key_id aws_secret_access_key aws_data_prefix "
    "caption_shuffle caption_filter_list metadata_update_interval max_upscale_threshold vae_cache_ondemand "
    "vae_cache_disable image_embeds conditioning_image_embeds cache_dir_conditioning_image_embeds "
    "conditioning_image_embed_batch_size source_dataset_id conditioning max_num_samples start_epoch start_step "
    "end_epoch end_step is_regularisation_data is_regularization_data slider_strength timestep_sampling_offset "
    "text_cache_ondemand text_cache_disable delete_unwanted_images delete_problematic_images delete_nsfw_images "
    "preserve_data_backend_cache probability audio video grounding csv_file csv_caption_column csv_cache_dir "
    "huggingface memory_filesystem_path memory_filesystem_size memory_filesystem_sudo".split()
)
DEFAULT_SOURCE = "multidatabackend.json"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _as_bucket(value: Any) -> Any:
    # crop_aspect_buckets mixes bare ratios and {aspect_bucket, weight} objects; one shape keeps error paths simple
    return {"aspect_bucket": value} if not isinstance(value, Mapping) else value


class MetadataTable(BaseModel):
    """SimpleTuner's `parquet` block, which also names JSONL tables: where captions live and in which columns."""

    model_config = ConfigDict(extra="allow")

    path: str | None = None
    filename_column: str = "file_name"
    caption_column: str = "caption"
    fallback_caption_column: str | None = None
    identifier_includes_extension: bool = False


class AspectBucket(BaseModel):
    aspect_bucket: float = Field(gt=0)
    weight: float = Field(default=1.0, ge=0)


class DatasetEntry(BaseModel):
    """One element of the multidatabackend.json list; unknown keys are kept (see `extras`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str = Field(min_length=1)
    type: BackendType
    disabled: bool = Field(default=False, validation_alias=AliasChoices("disabled", "disable"))
    dataset_type: DatasetType = "image"
    default: bool = False
    cache_dir: str | None = None
    text_embeds: str | None = None
    instance_data_dir: str | None = None
    caption_strategy: CaptionStrategy = "filename"
    instance_prompt: str | None = None
    prepend_instance_prompt: bool = False
    only_instance_prompt: bool = False
    disable_multiline_split: bool = False
    metadata_file: str | None = None
    parquet: MetadataTable | None = None
    metadata_backend: MetadataBackend = "discovery"
    resolution: float | None = Field(default=None, gt=0)
    resolution_type: ResolutionType | None = None
    minimum_image_size: float | None = Field(default=None, ge=0)
    maximum_image_size: float | None = Field(default=None, gt=0)
    target_downsample_size: float | None = Field(default=None, gt=0)
    minimum_aspect_ratio: float | None = Field(default=None, gt=0)
    maximum_aspect_ratio: float | None = Field(default=None, gt=0)
    crop: bool = False
    crop_style: CropStyle = "random"
    crop_aspect: CropAspect = "square"
    crop_aspect_buckets: list[Annotated[AspectBucket, BeforeValidator(_as_bucket)]] | None = None
    cache_dir_vae: str | None = None
    repeats: int = Field(default=0, ge=0)
    conditioning_data: Annotated[list[str], BeforeValidator(_as_list)] | None = None
    conditioning_type: ConditioningType | None = None
    train_batch_size: int | None = Field(default=None, ge=1)
    write_batch_size: int | None = Field(default=None, ge=1)
    text_encoder_batch_size: int | None = Field(default=None, ge=1)
    vae_cache_clear_each_epoch: bool = False
    skip_file_discovery: str = ""
    hash_filenames: bool = True

    @property
    def extras(self) -> dict[str, Any]:
        """Keys this schema does not define, as written."""
        return dict(self.model_extra or {})

    @property
    def repeats_given(self) -> bool:
        """Whether the file sets repeats (oversubscription only raises repeats nobody chose)."""
        return "repeats" in self.model_fields_set


@dataclass(frozen=True)
class Problem:
    path: str  # JSON path, e.g. multidatabackend.json[0].crop_style
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}. {self.fix}"


class DataloaderError(ValueError):
    """The dataloader file cannot be used; every problem names its JSON path and the fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


_MISSING_FIX = {
    "id": 'Give every dataset a short "id" that stays the same between runs (caches and resume state use it)',
    "type": 'Add "type": "local" for a folder on this machine',
}
_TYPE_FIX = {
    "bool": "Write true or false",
    "int": "Write a whole number",
    "float": "Write a number",
    "string": "Write it as a quoted string",
    "list": "Write a JSON list",
    "dict": "Write a JSON object",
    "model": "Write a JSON object",
}


def parse_dataloader(data: Any, source: str = DEFAULT_SOURCE) -> tuple[list[DatasetEntry], list[str]]:
    """Validate a parsed multidatabackend.json; returns the entries and warnings, or raises DataloaderError."""
    if not isinstance(data, list) or not data:
        raise DataloaderError(
            [Problem(source, "must be a non-empty JSON list of dataset entries", "Wrap the entries in [ ... ]")]
        )
    entries: list[DatasetEntry | None] = []
    problems: list[Problem] = []
    warnings: list[str] = []
    for index, raw in enumerate(data):
        where = f"{source}[{index}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, "must be an object", 'Write each dataset as {"id": ..., "type": ...}'))
            entries.append(None)
            continue
        try:
            entry = DatasetEntry.model_validate(raw)
        except ValidationError as exc:
            problems += [_problem(where, error) for error in exc.errors()]
            entry = None
        problems += _entry_rules(where, raw)
        entries.append(entry)
        warnings += _unknown_keys(where, raw)
    valid = [(index, entry) for index, entry in enumerate(entries) if entry is not None]
    problems += _links(source, valid)
    if problems:
        raise DataloaderError(problems)
    if not any(entry.dataset_type == "text_embeds" for _, entry in valid):
        warnings.append(f"{source} has no text_embeds entry; caption embeddings go to cache_dir_text instead")
    return [entry for _, entry in valid], warnings


def unsupported(entries: list[DatasetEntry], source: str = DEFAULT_SOURCE) -> list[Problem]:
    """What SimpleTuner accepts but this trainer cannot train on yet (disabled entries are skipped)."""
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        if entry.disabled:
            continue
        where = f"{source}[{index}]"
        for key, allowed in SUPPORTED.items():
            value = getattr(entry, key)
            if value not in allowed:
                fix = f'Use one of: {", ".join(allowed)}, or set "disabled": true on this entry'
                problems.append(Problem(f"{where}.{key}", f"{value!r} is not supported yet by this trainer", fix))
        table = entry.parquet.path if entry.parquet else None
        if entry.caption_strategy == "parquet" and not str(table or "").endswith((".jsonl", ".csv")):
            fix = 'Export the table as JSONL and point "parquet": {"path": "captions.jsonl"} at it'
            problems.append(Problem(f"{where}.parquet.path", "only .jsonl and .csv tables are supported yet", fix))
        if len(entry.conditioning_data or []) > 1:
            fix = "Link a single conditioning dataset"
            problems.append(Problem(f"{where}.conditioning_data", "several conditioning datasets: not yet", fix))
    return problems


def _problem(where: str, error: ErrorDetails) -> Problem:
    loc = error["loc"]
    path = where + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    kind, given, name = error["type"], error.get("input"), str(loc[-1]) if loc else ""
    if kind == "missing":
        return Problem(path, "is required", _MISSING_FIX.get(name, "Add it"))
    bound = error.get("ctx", {})
    if kind == "literal_error":
        return Problem(path, f"{given!r} is not one of: {bound.get('expected')}", "Pick one of those values")
    if kind in ("greater_than", "greater_than_equal"):
        limit = f"at least {bound['ge']}" if "ge" in bound else f"more than {bound.get('gt')}"
        return Problem(path, f"must be {limit} (got {given!r})", "Raise it")
    if kind == "too_short":
        return Problem(path, "must not be empty", "Fill it in")
    expected = kind.split("_")[0]
    return Problem(path, f"{given!r} is not valid ({error['msg']})", _TYPE_FIX.get(expected, "Correct the value"))


def _entry_rules(where: str, raw: Mapping[str, Any]) -> list[Problem]:
    """Rules across keys, read from the raw entry so they are reported together with type errors."""
    problems = []
    dataset_type, backend = raw.get("dataset_type", "image"), raw.get("type")
    if dataset_type in ("image", "video", "audio", "conditioning") and backend == "local":
        if not raw.get("instance_data_dir"):
            fix = "Set it to the folder holding the images (absolute, or relative to the workspace)"
            problems.append(Problem(f"{where}.instance_data_dir", f"is required for {dataset_type} datasets", fix))
    if dataset_type in ("text_embeds", "image_embeds") and backend in ("local", "memory") and not raw.get("cache_dir"):
        fix = "Set it to a folder for the cached embeddings, e.g. cache/text/<model>"
        problems.append(Problem(f"{where}.cache_dir", f"is required for {dataset_type}", fix))
    strategy = raw.get("caption_strategy")
    needs_prompt = strategy == "instanceprompt" or raw.get("only_instance_prompt") or raw.get("prepend_instance_prompt")
    if needs_prompt and not raw.get("instance_prompt"):
        fix = 'Add "instance_prompt": "<your trigger phrase>"'
        problems.append(Problem(f"{where}.instance_prompt", "is required by the caption settings", fix))
    if raw.get("crop_aspect") in ("random", "closest") and not raw.get("crop_aspect_buckets"):
        fix = "List the aspect ratios to choose from, e.g. [0.75, 1.0, 1.33]"
        message = f"is required by crop_aspect {raw['crop_aspect']}"
        problems.append(Problem(f"{where}.crop_aspect_buckets", message, fix))
    if strategy == "parquet" and not (isinstance(raw.get("parquet"), dict) and raw["parquet"].get("path")):
        fix = 'Add "parquet": {"path": "captions.jsonl", "filename_column": "file_name", "caption_column": "caption"}'
        problems.append(Problem(f"{where}.parquet.path", "is required by caption_strategy parquet", fix))
    problems += _unit_rules(where, raw)
    low, high = raw.get("minimum_aspect_ratio"), raw.get("maximum_aspect_ratio")
    if _number(low) and _number(high) and low > high:
        fix = "Swap them, or widen the range"
        problems.append(Problem(f"{where}.minimum_aspect_ratio", f"{low} is above maximum_aspect_ratio {high}", fix))
    return problems


def _unit_rules(where: str, raw: Mapping[str, Any]) -> list[Problem]:
    # The usual slip is megapixels under a pixel resolution_type or the reverse (SimpleTuner's factory checks the same)
    problems = []
    unit = raw.get("resolution_type")
    for key in ("maximum_image_size", "target_downsample_size"):
        value = raw.get(key)
        if not _number(value) or unit not in ("area", "pixel", "pixel_area"):
            continue
        if unit == "area" and value >= 20:
            fix = "resolution_type area counts megapixels: write e.g. 1.0, or switch resolution_type to pixel_area"
            problems.append(Problem(f"{where}.{key}", f"{value} megapixels looks like a pixel value", fix))
        elif unit != "area" and value < 64:
            fix = f"resolution_type {unit} counts pixels: write e.g. 1024, or switch resolution_type to area"
            problems.append(Problem(f"{where}.{key}", f"{value} pixels looks like a megapixel value", fix))
    return problems


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _links(source: str, valid: list[tuple[int, DatasetEntry]]) -> list[Problem]:
    problems = []
    counts = Counter(entry.id for _, entry in valid)
    by_id = {entry.id: entry for _, entry in valid}
    for index, entry in valid:
        where = f"{source}[{index}]"
        if counts[entry.id] > 1:
            problems.append(Problem(f"{where}.id", f"{entry.id!r} is used by several entries", "Make every id unique"))
        links = [("conditioning_data", name) for name in entry.conditioning_data or []]
        for key, linked in links + ([("text_embeds", entry.text_embeds)] if entry.text_embeds else []):
            kind = "conditioning" if key == "conditioning_data" else "text_embeds"
            target = by_id.get(linked)
            if target is None or target.dataset_type != kind:
                fix = f'Name the id of an entry with "dataset_type": "{kind}"'
                problems.append(Problem(f"{where}.{key}", f"{linked!r} is not a {kind} dataset", fix))
            elif target.disabled and not entry.disabled:
                fix = "Enable that entry, or remove the link"
                problems.append(Problem(f"{where}.{key}", f"{linked!r} is disabled", fix))
    text = [(index, entry) for index, entry in valid if entry.dataset_type == "text_embeds" and not entry.disabled]
    defaults = [index for index, entry in text if entry.default]
    if len(defaults) > 1:
        fix = 'Keep "default": true on one of them (validation prompts are cached there)'
        problems.append(Problem(f"{source}[{defaults[1]}].default", "several text_embeds entries are default", fix))
    elif len(text) > 1 and not defaults:
        fix = 'Set "default": true on the one that should hold validation prompt embeddings'
        problems.append(Problem(f"{source}[{text[0][0]}].default", "no text_embeds entry is the default", fix))
    return problems


def _unknown_keys(where: str, raw: Mapping[str, Any]) -> list[str]:
    known = set(DatasetEntry.model_fields) | {"disable"}
    warnings = []
    for key in raw:
        if key in known:
            continue
        if key in IGNORED_KEYS:
            warnings.append(f"{where}.{key} is a SimpleTuner key this trainer does not use yet; it has no effect")
        else:
            warnings.append(f"{where}.{key} is not a dataloader key; it is kept as written (check the spelling)")
    return warnings


def default_text_embeds(entries: list[DatasetEntry]) -> DatasetEntry | None:
    """The text_embeds entry validation prompts go to: the one marked default, or the only one."""
    text = [entry for entry in entries if entry.dataset_type == "text_embeds" and not entry.disabled]
    return next((entry for entry in text if entry.default), text[0] if len(text) == 1 else None)


@dataclass(frozen=True)
class FieldSpec:
    """One key of a dataset entry as forms need it; read off DatasetEntry, so forms and validation agree."""

    name: str
    kind: str  # bool, int, float, string, choice, list or object
    default: Any  # None: unset (the run's own setting applies)
    choices: tuple[str, ...] = ()  # every value the file format accepts (choice keys)
    supported: tuple[str, ...] = ()  # the choices this trainer can train with
    minimum: float | None = None
    exclusive_minimum: bool = False
    required: bool = False
    aliases: tuple[str, ...] = ()


_KINDS: dict[Any, str] = {bool: "bool", int: "int", float: "float", str: "string", list: "list"}


def field_specs() -> list[FieldSpec]:
    """Every key of DatasetEntry, in its order."""
    return [_field_spec(name, info) for name, info in DatasetEntry.model_fields.items()]


def _field_spec(name: str, info: FieldInfo) -> FieldSpec:
    annotation = _bare_type(info.annotation)
    choices = tuple(str(choice) for choice in get_args(annotation)) if get_origin(annotation) is Literal else ()
    kind = "choice" if choices else _KINDS.get(get_origin(annotation) or annotation, "object")
    minimum, exclusive = None, False
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Gt):
            minimum, exclusive = float(bound.gt), True  # type: ignore[arg-type]
        elif isinstance(bound, annotated_types.Ge):
            minimum = float(bound.ge)  # type: ignore[arg-type]
    alias = info.validation_alias
    aliases = tuple(str(a) for a in alias.choices if a != name) if isinstance(alias, AliasChoices) else ()
    required = info.is_required()
    return FieldSpec(
        name=name,
        kind=kind,
        default=None if required else info.default,
        choices=choices,
        supported=tuple(SUPPORTED.get(name, choices)),
        minimum=minimum,
        exclusive_minimum=exclusive,
        required=required,
        aliases=aliases,
    )


def _bare_type(annotation: Any) -> Any:
    """`Annotated[list[str], ...] | None` as `list[str]`: optional and annotated wrappers removed."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        else:
            return annotation
