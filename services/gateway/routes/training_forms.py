"""The web UI's and the seeds' form fields for validate and start: options plus a few steering fields."""

from __future__ import annotations

from typing import NamedTuple

from fastapi import Request

# Form fields that steer the request rather than set options (as the web UI sends them).
ACTIVE_TAB = "__active_tab__"
DISABLED_FIELDS = "__disabled_fields__"
USE_DEFAULTS = "merge_environment_config"
ENVIRONMENT = "environment"  # the environment to merge over (default: the caller's active one)
CONTROL_FIELDS = {
    ACTIVE_TAB,
    DISABLED_FIELDS,
    USE_DEFAULTS,
    ENVIRONMENT,
    "__replace_active_config__",
    "preserve_defaults",
}


class Form(NamedTuple):
    fields: dict[str, str]  # options, as submitted
    disabled: list[str]
    use_defaults: bool
    environment: str


async def form_fields(request: Request) -> Form:
    """The options a form sets, and the fields that steer how they are read."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if key not in CONTROL_FIELDS}
    disabled = [name.strip() for name in str(form.get(DISABLED_FIELDS, "")).split(",") if name.strip()]
    use_defaults = str(form.get(USE_DEFAULTS, "true")).lower() in ("true", "1", "on", "yes")
    return Form(fields, disabled, use_defaults, str(form.get(ENVIRONMENT, "")))


def wants_html(request: Request) -> bool:
    """The web UI (htmx) asks for HTML fragments; API clients get JSON."""
    return request.headers.get("hx-request") == "true"
