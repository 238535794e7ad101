"""The web UI's and the seeds' form fields for validate and start: options plus a few steering fields."""

from __future__ import annotations

from fastapi import Request

# Form fields that steer the request rather than set options (as the web UI sends them).
ACTIVE_TAB = "__active_tab__"
DISABLED_FIELDS = "__disabled_fields__"
USE_DEFAULTS = "merge_environment_config"
CONTROL_FIELDS = {ACTIVE_TAB, DISABLED_FIELDS, USE_DEFAULTS, "__replace_active_config__", "preserve_defaults"}


async def form_fields(request: Request) -> tuple[dict[str, str], list[str], bool]:
    """(option fields, disabled fields, use the default environment)."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if key not in CONTROL_FIELDS}
    disabled = [name.strip() for name in str(form.get(DISABLED_FIELDS, "")).split(",") if name.strip()]
    use_defaults = str(form.get(USE_DEFAULTS, "true")).lower() in ("true", "1", "on", "yes")
    return fields, disabled, use_defaults


def wants_html(request: Request) -> bool:
    """The web UI (htmx) asks for HTML fragments; API clients get JSON."""
    return request.headers.get("hx-request") == "true"
