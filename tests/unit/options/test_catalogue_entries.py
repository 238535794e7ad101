"""Every catalogue entry is well formed: unique names, valid defaults, known families and permissions, right tab."""

from __future__ import annotations

import json
import re
from types import ModuleType

import pytest

from simpletuner.libs import permissions
from simpletuner.libs.options import (
    advanced_options,
    model_options,
    publishing_options,
    training_options,
    validation_options,
)
from simpletuner.libs.options.spec import MODEL_FAMILIES, Kind, Option, Tab

MODULES_AND_TABS: tuple[tuple[ModuleType, Tab], ...] = (
    (model_options, Tab.MODEL),
    (training_options, Tab.TRAINING),
    (validation_options, Tab.VALIDATION),
    (publishing_options, Tab.PUBLISHING),
    (advanced_options, Tab.ADVANCED),
)
OPTIONS: tuple[Option, ...] = tuple(option for module, _ in MODULES_AND_TABS for option in module.OPTIONS)
BY_NAME = {option.name: option for option in OPTIONS}

NAMED_IN_THE_TUTORIALS = [
    "model_family",
    "model_flavour",
    "model_type",
    "lora_type",
    "lora_rank",
    "lora_dropout",
    "pretrained_model_name_or_path",
    "base_model_precision",
    "output_dir",
    "data_backend_config",
    "resume_from_checkpoint",
    "checkpoints_total_limit",
    "num_train_epochs",
    "max_train_steps",
    "train_batch_size",
    "gradient_accumulation_steps",
    "learning_rate",
    "lr_scheduler",
    "lr_warmup_steps",
    "optimizer",
    "seed",
    "clip_skip",
    "cache_dir_vae",
    "dataloader_prefetch",
    "conditioning_multidataset_sampling",
    "allow_dataset_oversubscription",
    "validation_prompt",
    "validation_resolution",
    "validation_num_inference_steps",
    "validation_guidance",
    "validation_seed",
    "validation_preview",
    "validation_preview_steps",
    "validation_method",
    "validation_external_script",
    "validation_external_background",
    "report_to",
    "custom_tracker",
    "webhook_config",
    "webhook_reporting_interval",
    "post_checkpoint_script",
    "post_upload_script",
    "accelerate_config",
]

# Options that make the trainer run a program on the training machine.
SCRIPTS_RUN_BY_THE_TRAINER = ["post_checkpoint_script", "post_upload_script", "validation_external_script"]

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

each_option = pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.name)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _default_problem(option: Option) -> str | None:
    """Why the option's default does not suit its kind, or None when it does."""
    default = option.default
    if option.kind is Kind.BOOL:
        return None if isinstance(default, bool) else "a BOOL default must be True or False"
    if option.kind is Kind.CHOICE:
        if default is None and option.required:
            return None
        return None if default in option.choices else f"{default!r} is not one of {option.choices}"
    if default is None:
        return None
    if option.kind is Kind.INT:
        return None if _is_int(default) else "an INT default must be an int"
    if option.kind is Kind.FLOAT:
        return None if _is_number(default) else "a FLOAT default must be a number"
    if option.kind is Kind.JSON:
        try:
            json.dumps(default)
        except (TypeError, ValueError):
            return "a JSON default must be JSON-serialisable"
        return None
    if option.kind in (Kind.PATH, Kind.STRING):
        if not isinstance(default, str):
            return f"a {option.kind} default must be a string"
        if default == "" and not option.allow_empty:
            return "an empty default needs allow_empty"
        return None
    return f"unknown kind {option.kind!r}"


def test_every_module_defines_a_non_empty_tuple_of_options() -> None:
    for module, _ in MODULES_AND_TABS:
        assert isinstance(module.OPTIONS, tuple), module.__name__
        assert module.OPTIONS, module.__name__
        assert all(isinstance(option, Option) for option in module.OPTIONS), module.__name__


def test_option_names_are_unique_across_the_five_modules() -> None:
    names = [option.name for option in OPTIONS]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert duplicates == []


def test_aliases_clash_with_no_option_name_or_other_alias() -> None:
    aliases = [alias for option in OPTIONS for alias in option.aliases]
    assert len(aliases) == len(set(aliases))
    assert set(aliases).isdisjoint(BY_NAME)


@each_option
def test_option_names_and_aliases_are_lower_snake_case(option: Option) -> None:
    for name in (option.name, *option.aliases):
        assert SNAKE_CASE.match(name), name


@each_option
def test_every_default_is_valid_for_its_kind(option: Option) -> None:
    assert _default_problem(option) is None, _default_problem(option)


@each_option
def test_numeric_defaults_lie_within_their_minimum_and_maximum(option: Option) -> None:
    if option.minimum is not None and option.maximum is not None:
        assert option.minimum <= option.maximum
    if option.kind not in (Kind.INT, Kind.FLOAT) or option.default is None:
        return
    if option.minimum is not None:
        assert option.default >= option.minimum
    if option.maximum is not None:
        assert option.default <= option.maximum


@each_option
def test_only_numeric_options_set_a_minimum_or_maximum(option: Option) -> None:
    if option.kind not in (Kind.INT, Kind.FLOAT):
        assert option.minimum is None and option.maximum is None


@each_option
def test_every_choice_option_offers_at_least_two_distinct_choices(option: Option) -> None:
    if option.kind is Kind.CHOICE:
        assert len(option.choices) >= 2
        assert len(set(option.choices)) == len(option.choices)
        assert all(isinstance(choice, str) and choice for choice in option.choices)
    else:
        assert option.choices == ()


@each_option
def test_every_family_named_is_a_known_model_family(option: Option) -> None:
    assert set(option.families) <= set(MODEL_FAMILIES), set(option.families) - set(MODEL_FAMILIES)
    assert len(set(option.families)) == len(option.families)


@each_option
def test_every_permission_is_a_real_permission_name(option: Option) -> None:
    if option.permission:
        assert option.permission in permissions.ALL


@each_option
def test_every_option_has_a_help_text_and_a_group(option: Option) -> None:
    assert option.help.strip(), "help is empty"
    assert option.help.rstrip().endswith((".", ")")), "help should be whole sentences"
    assert option.group.strip(), "group is empty"


@pytest.mark.parametrize("name", SCRIPTS_RUN_BY_THE_TRAINER)
def test_scripts_the_trainer_runs_require_admin_config(name: str) -> None:
    assert name in BY_NAME
    assert BY_NAME[name].permission == "admin.config"


def test_any_option_naming_a_script_requires_admin_config() -> None:
    scripts = [option for option in OPTIONS if option.name.endswith("_script")]
    assert scripts
    assert [option.name for option in scripts if option.permission != "admin.config"] == []


@pytest.mark.parametrize("name", NAMED_IN_THE_TUTORIALS)
def test_every_option_named_in_the_tutorials_exists(name: str) -> None:
    assert name in BY_NAME


@pytest.mark.parametrize(("module", "tab"), MODULES_AND_TABS, ids=lambda value: getattr(value, "value", None))
def test_each_module_puts_all_its_options_on_its_own_tab(module: ModuleType, tab: Tab) -> None:
    assert [option.name for option in module.OPTIONS if option.tab is not tab] == []


def test_model_family_is_required_and_offers_exactly_the_supported_families() -> None:
    model_family = BY_NAME["model_family"]
    assert model_family.required
    assert model_family.kind is Kind.CHOICE
    assert model_family.choices == MODEL_FAMILIES


def test_the_base_model_and_dataset_config_must_be_given() -> None:
    for name in ("pretrained_model_name_or_path", "data_backend_config"):
        assert BY_NAME[name].required, name
        assert BY_NAME[name].default is None, name


def test_flow_matching_options_apply_only_to_flow_matching_families() -> None:
    flow = {name: option for name, option in BY_NAME.items() if name.startswith("flow_")}
    assert flow
    for name, option in flow.items():
        assert option.families, name
        assert set(option.families) <= {"flux", "sd3", "sana"}, name


def test_resume_from_checkpoint_may_be_left_empty_to_start_fresh() -> None:
    assert BY_NAME["resume_from_checkpoint"].allow_empty
    assert BY_NAME["resume_from_checkpoint"].kind is Kind.STRING
