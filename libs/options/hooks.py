"""Hook commands (post_checkpoint_script, post_upload_script, validation_external_script): their placeholders and
how a template splits into arguments; the config check and the trainer both use this one parser."""

from __future__ import annotations

import shlex
import string

from .catalogue import CATALOGUE

# The options holding a command the trainer starts (as an argument list, never through a shell).
COMMAND_OPTIONS = ("post_checkpoint_script", "post_upload_script", "validation_external_script")

# The run context a command can ask for besides any validation_* value (SimpleTuner's names).
CONTEXT_PLACEHOLDERS = (
    "local_checkpoint_path",
    "remote_checkpoint_path",
    "global_step",
    "tracker_run_name",
    "tracker_project_name",
    "model_family",
    "model_type",
    "lora_type",
    "huggingface_path",
)

# One argument as pieces: literal text, then the placeholder filled in after it (None at the end).
Word = list[tuple[str, str | None]]


class TemplateError(ValueError):
    """A command template that cannot run; the message says what to change."""


def placeholders() -> tuple[str, ...]:
    """Every {name} a hook command may use."""
    return CONTEXT_PLACEHOLDERS + tuple(o.name for o in CATALOGUE if o.name.startswith("validation_"))


def parse(template: str) -> list[Word]:
    """Split like a POSIX shell would, then find the placeholders of each argument, so that a value with spaces
    stays one argument. `{{` and `}}` are literal braces, as in str.format."""
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise TemplateError(f"cannot split {template!r} into arguments ({exc}); close its quotes") from None
    if not words:
        raise TemplateError("is empty; give the program to run, then its arguments")
    known = placeholders()
    return [_pieces(word, known) for word in words]


def _pieces(word: str, known: tuple[str, ...]) -> Word:
    try:
        parsed = list(string.Formatter().parse(word))
    except ValueError as exc:
        raise TemplateError(f"{word!r}: {exc}; write a literal brace as {{{{ or }}}}") from None
    pieces: Word = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in known or spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise TemplateError(
                f"{shown} is not a placeholder; use one of {', '.join('{' + k + '}' for k in known)} "
                "(or {{ and }} for literal braces)"
            )
        pieces.append((literal, name))
    return pieces


def render(words: list[Word], values: dict[str, str]) -> list[str]:
    """The argument list with every placeholder replaced by its value."""
    return ["".join(literal + (values[name] if name is not None else "") for literal, name in word) for word in words]
