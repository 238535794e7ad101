"""Publishing a run on the Hugging Face Hub: the final model with its model card, and each checkpoint when asked.

An upload that fails is a warning with the command that retries it by hand, never a failed run: the files stay
where they are. The token (HF_TOKEN) and the endpoint (HF_ENDPOINT) are read from the environment at each upload.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, ModelCardData
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, OfflineModeIsEnabled
from huggingface_hub.utils import validate_repo_id

from simpletuner.api.events.v1 import events_pb2 as ev

from .builtin_models import PREFIX as BUILTIN_PREFIX
from .events import RunEvents
from .hooks import Hooks
from .run_config import HUB_TOKEN_VARIABLE, RunConfig

ENDPOINT_VARIABLE = "HF_ENDPOINT"
CARD_FILE = "README.md"
CARD_PROMPTS = 10  # a prompt library can hold dozens; the card stays short
SAVE_TOKEN = "save a valid Hub token in the Publishing tab (POST /api/publishing/token/save)"


@dataclass(frozen=True)
class Upload:
    """One folder (or some files of it) going to one place in the repository."""

    what: str  # for messages: "checkpoint-4", "the final model"
    folder: Path
    path_in_repo: str  # "" for the repository's root
    include: tuple[str, ...] | None  # file patterns of folder to send; None sends everything
    step: int
    local: Path  # what the post_upload_script is told was uploaded


class HubUploader:
    """Uploads one run's final model and checkpoints to hub_model_id, creating the repository on first use."""

    def __init__(self, config: RunConfig, events: RunEvents, hooks: Hooks) -> None:
        self.config = config
        self.events = events
        self.hooks = hooks
        self.repo_id: str | None = None  # owner/name once the Hub has answered (hub_model_id may omit the owner)

    @property
    def enabled(self) -> bool:
        return bool(self.config["push_to_hub"])

    def upload_checkpoint(self, folder: Path, step: int) -> str | None:
        """A sealed checkpoint under checkpoint-<step>/ (push_checkpoints_to_hub); the remote path, or None."""
        if not (self.enabled and self.config["push_checkpoints_to_hub"]):
            return None
        name = f"checkpoint-{step}"
        return self._publish(Upload(name, folder, name, None, step, folder))

    def upload_final(self, saved: Path, step: int, prompts: list[str]) -> str | None:
        """The final model and its card at the repository's root; the repository's URL, or None.

        A LoRA is one file in output_dir, beside checkpoints and logs: only it and the card are sent. A full
        fine-tune is a pipeline folder of its own, sent whole."""
        if not self.enabled:
            return None
        folder, include = (saved.parent, (saved.name, CARD_FILE)) if saved.is_file() else (saved, None)
        upload = Upload("the final model", folder, "", include, step, saved)
        try:
            model_card(self.config, prompts, step).save(folder / CARD_FILE)
        except Exception as exc:  # like a failed upload: a warning, and the model stays saved
            self._failed(upload, f"the model card could not be written: {type(exc).__name__}: {exc}")
            return None
        return self._publish(upload)

    # uploading

    def _publish(self, upload: Upload) -> str | None:
        token = os.environ.get(HUB_TOKEN_VARIABLE)
        if not token:
            self._failed(upload, f"no Hub token in {HUB_TOKEN_VARIABLE}; {SAVE_TOKEN}")
            return None
        endpoint = os.environ.get(ENDPOINT_VARIABLE, "").rstrip("/") or None  # read now: the library reads it at import
        api = HfApi(endpoint=endpoint, token=token)
        self._log(f"Uploading {upload.what} to {self._target}")
        try:
            repo_id = self._repository(api)
            commit = api.upload_folder(
                repo_id=repo_id,
                folder_path=upload.folder,
                path_in_repo=upload.path_in_repo,
                allow_patterns=list(upload.include) if upload.include else None,
                commit_message=f"Upload {upload.what} (step {upload.step})",
            )
        except Exception as exc:  # a failed upload never fails the run, whatever broke
            self._failed(upload, _reason(exc))
            return None
        remote = f"{api.endpoint}/{repo_id}"
        if upload.path_in_repo:
            remote += f"/tree/{commit.oid}/{upload.path_in_repo}"  # this commit's copy: later ones may replace it
        self._log(f"Uploaded {upload.what} ({remote})")
        self.hooks.after_upload(remote, upload.step, upload.local)
        return remote

    def _repository(self, api: HfApi) -> str:
        """owner/name, created on first use (an existing repository keeps its visibility)."""
        if self.repo_id is None:
            url = api.create_repo(str(self.config["hub_model_id"]), private=self._private, exist_ok=True)
            self.repo_id = url.repo_id
        return self.repo_id

    @property
    def _target(self) -> str:
        return self.repo_id or str(self.config["hub_model_id"])

    @property
    def _private(self) -> bool:
        return self.config["model_card_private"] is not False  # private unless turned off

    def _failed(self, upload: Upload, reason: str) -> None:
        argv = ["hf", "upload", self._target, str(upload.folder)]
        argv += [upload.path_in_repo] if upload.path_in_repo else []
        for pattern in upload.include or ():
            argv += ["--include", pattern]
        argv += ["--private"] if self._private else []
        self._log(
            f"Uploading {upload.what} to {self._target} failed: {reason}. The files stay in {upload.folder} and "
            f"the run goes on; to upload them by hand: {shlex.join(argv)}",
            ev.LOG_SEVERITY_WARNING,
        )

    def _log(self, message: str, severity: ev.LogSeverity = ev.LOG_SEVERITY_INFO) -> None:
        self.events.log(message, severity)


def _reason(exc: Exception) -> str:
    """What went wrong, with the fix where there is one (never the token: errors do not carry it)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status == 401:
        return f"the Hub refused the token (401); {SAVE_TOKEN}"
    if status == 403:
        return (
            f"the token may not write there (403: {getattr(exc, 'server_message', None) or 'forbidden'}); use a "
            "repository in your own namespace or in an organisation where the token has write access"
        )
    if isinstance(exc, OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set in the run's environment; unset it (or set 0) for runs that upload"
    if isinstance(exc, HfHubHTTPError) and status is not None:
        return f"the Hub answered {status}: {exc.server_message or _first_line(exc)}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Exception) -> str:
    return next((line for line in str(exc).splitlines() if line.strip()), "no details")


# the model card


def model_card(config: RunConfig, prompts: list[str], step: int) -> ModelCard:
    """README.md for the final model: Hub metadata, then the note, the validation prompts and the main settings."""
    adapter, lycoris = config["model_type"] != "full", config["lora_type"] == "lycoris"
    tags = ["diffusers", "text-to-image", config.model_family, "simpletuner"]
    tags += (["lora", "lycoris"] if lycoris else ["lora"]) if adapter else ["full-fine-tune"]
    base = hub_base_model(config)
    data = ModelCardData(base_model=base, library_name="diffusers", pipeline_tag="text-to-image", tags=tags)
    kind = ("A LyCORIS network" if lycoris else "A LoRA") if adapter else "A full fine-tune"
    name = str(config["hub_model_id"]).rsplit("/", 1)[-1]
    lines = [str(config["model_card_note"]).strip(), ""] if config["model_card_note"] else []
    lines += [f"# {name}", "", f"{kind} of {base or config.model_family}, trained with SimpleTuner."]
    if prompts:
        lines += ["", "## Validation prompts", ""]
        lines += [f"- {_one_line(prompt)}" for prompt in prompts[:CARD_PROMPTS]]
        lines += [f"- and {len(prompts) - CARD_PROMPTS} more"] if len(prompts) > CARD_PROMPTS else []
    lines += ["", "## Training settings", "", "| setting | value |", "| --- | --- |"]
    lines += [f"| {setting} | {_one_line(value)} |" for setting, value in _settings(config, step)]
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")


def _settings(config: RunConfig, step: int) -> list[tuple[str, str]]:
    rows = [("model family", config.model_family), ("model type", str(config["model_type"]))]
    if config["model_type"] != "full" and config["lora_type"] != "lycoris":
        rank = int(config["lora_rank"])
        rows.append(("LoRA rank / alpha", f"{rank} / {config['lora_alpha'] or rank}"))  # alpha defaults to rank
    elif config["model_type"] != "full":
        rows.append(("LoRA type", "lycoris"))
    rows += [
        ("steps", str(step)),
        ("learning rate", f"{float(config['learning_rate']):g}"),
        ("batch size", str(config["train_batch_size"])),
        ("resolution", str(config["resolution"])),
    ]
    return rows


def hub_base_model(config: RunConfig) -> str | None:
    """pretrained_model_name_or_path when it names a Hub repository (not a folder, not a built-in tiny model)."""
    name = str(config["pretrained_model_name_or_path"] or "")
    local = config.path("pretrained_model_name_or_path")
    if not name or name.startswith(BUILTIN_PREFIX) or (local is not None and local.exists()):
        return None
    try:
        validate_repo_id(name)
    except HFValidationError:
        return None
    return name


def _one_line(text: object) -> str:
    """A value inside a list item or table cell: one line, and no cell separators."""
    return " ".join(str(text).split()).replace("|", "\\|")
