"""Hook scripts of a run (after checkpoints, after uploads, external validation): rendered per argument, started
without a shell, their output and failures reported as log events; a hook never stops training."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.options import hooks as templates

from .events import RunEvents
from .run_config import RunConfig

TIMEOUT_S = 3600.0  # a hung script must not hold training (or a background thread) forever
OUTPUT_LINES = 200  # the last lines of a chatty script's output reach the log; the rest would bury it
LOG_FOLDER = "hook_logs"


def context(config: RunConfig, step: int, local: Path | str = "", remote: str = "") -> dict[str, str]:
    """Every placeholder's value for one call: the run context, then each validation_* option."""
    values: dict[str, Any] = {
        "local_checkpoint_path": str(local),
        "remote_checkpoint_path": remote,
        "global_step": step,
        "tracker_run_name": config.get("tracker_run_name"),
        "tracker_project_name": config.get("tracker_project_name"),
        "model_family": config.get("model_family"),
        "model_type": config.get("model_type"),
        "lora_type": config.get("lora_type"),
        "huggingface_path": config.get("hub_model_id"),
    }
    values |= {name: config.get(name) for name in templates.placeholders() if name not in values}
    return {name: _text(value) for name, value in values.items()}


def _text(value: Any) -> str:
    """A value as a command-line argument: unset is empty, booleans and JSON as a config.json would write them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def command(template: str, values: dict[str, str]) -> list[str]:
    """The argument list a template names; TemplateError names a bad placeholder and lists the valid ones."""
    return templates.render(templates.parse(template), values)


class Hooks:
    """Runs one run's hook scripts. Background scripts report back through a queue that the training thread
    drains (poll), so event sinks only ever see one thread."""

    def __init__(self, config: RunConfig, events: RunEvents, timeout_s: float = TIMEOUT_S) -> None:
        self.config = config
        self.events = events
        self.timeout_s = timeout_s
        self.finished: queue.Queue[tuple[str, ev.LogSeverity]] = queue.Queue()
        self.threads: list[threading.Thread] = []

    def after_checkpoint(self, path: Path, step: int) -> None:
        """post_checkpoint_script, once the checkpoint is sealed; training waits so rotation cannot delete it
        while the script reads it."""
        self._run("post_checkpoint_script", context(self.config, step, local=path))

    def after_upload(self, remote_path: str, step: int, local_path: Path | str = "") -> None:
        """post_upload_script, once per finished upload (an uploader calls this with the remote location)."""
        self._run("post_upload_script", context(self.config, step, local=local_path, remote=remote_path))

    def validate(self, model: Path | None, step: int) -> None:
        """validation_external_script in place of the built-in sampler, given the newest checkpoint or final model."""
        if model is None:
            self._log(
                "validation_external_script skipped: no checkpoint saved yet; set checkpointing_steps so "
                "that one is saved before each validation",
                ev.LOG_SEVERITY_WARNING,
            )
            return
        background = bool(self.config["validation_external_background"])
        self._run("validation_external_script", context(self.config, step, local=model), background, step)

    def poll(self) -> None:
        """Report the background scripts that have finished (call from the training thread)."""
        while True:
            try:
                message, severity = self.finished.get_nowait()
            except queue.Empty:
                return
            self._log(message, severity)

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the background scripts, then report them (tests; a run never waits for them)."""
        for thread in self.threads:
            thread.join(timeout_s)
        self.poll()

    # running

    def _run(self, option: str, values: dict[str, str], background: bool = False, step: int = 0) -> None:
        template = str(self.config.get(option) or "")
        if not template:
            return
        try:
            argv = command(template, values)
        except templates.TemplateError as exc:  # the config check refuses these; a hand-built config may not
            self._log(f"{option} not run: {exc}", ev.LOG_SEVERITY_WARNING)
            return
        if background:
            self._start_background(option, argv, step)
        else:
            self._run_blocking(option, argv)

    def _run_blocking(self, option: str, argv: list[str]) -> None:
        self._log(f"{option}: running {shlex.join(argv)}")
        process = self._start(option, argv, subprocess.PIPE)
        if process is None:
            return
        try:
            output, _ = process.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill(process)
            try:
                output, _ = process.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a descendant that left the group still holds the pipe
                output = ""
                process.wait()
            self._report_output(option, output)
            self._log(f"{option} killed after {self.timeout_s:g} s; make it finish sooner", ev.LOG_SEVERITY_WARNING)
            return
        self._report_output(option, output)
        self._log(*_outcome(option, process.returncode))

    def _start_background(self, option: str, argv: list[str], step: int) -> None:
        # output goes to a file, not a pipe: a pipe would break (SIGPIPE) if the run ends before the script does
        log_path = self.config.output_dir / LOG_FOLDER / f"{option}-step{step}.log"
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with log_path.open("w", encoding="utf-8") as log_file:
                process = self._start(option, argv, log_file)
        except OSError as exc:
            self._log(f"{option} not run: cannot write {log_path}: {exc}", ev.LOG_SEVERITY_WARNING)
            return
        if process is None:
            return
        self._log(f"{option}: started {shlex.join(argv)} in the background; its output goes to {log_path}")
        thread = threading.Thread(target=self._reap, args=(option, process, log_path), daemon=True)
        thread.start()  # daemon: a run never waits for a background script; waiting here only reaps the process
        self.threads.append(thread)

    def _reap(self, option: str, process: subprocess.Popen[str], log_path: Path) -> None:
        try:
            process.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill(process)
            process.wait()
            self.finished.put(
                (f"{option} killed after {self.timeout_s:g} s (output in {log_path})", ev.LOG_SEVERITY_WARNING)
            )
            return
        message, severity = _outcome(option, process.returncode)
        self.finished.put((f"{message} (output in {log_path})", severity))

    def _start(self, option: str, argv: list[str], output: Any) -> subprocess.Popen[str] | None:
        try:
            return subprocess.Popen(  # an argument list and no shell: values can never become shell syntax
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.config.workspace,  # relative paths mean what they mean in the config
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group, so a timeout ends whatever it started too
            )
        except (OSError, ValueError) as exc:  # ValueError: an argument with a NUL byte
            self._log(
                f"{option} could not start {argv[0]!r}: {exc}; check the path and that it is executable",
                ev.LOG_SEVERITY_WARNING,
            )
            return None

    def _report_output(self, option: str, output: str | None) -> None:
        lines = (output or "").splitlines()
        if len(lines) > OUTPUT_LINES:
            self._log(f"{option}: {len(lines) - OUTPUT_LINES} earlier lines of output left out")
        for line in lines[-OUTPUT_LINES:]:
            self._log(f"{option}: {line}")

    def _log(self, message: str, severity: ev.LogSeverity = ev.LOG_SEVERITY_INFO) -> None:
        self.events.log(message, severity)


def _kill(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # finished meanwhile
        pass


def _outcome(option: str, returncode: int) -> tuple[str, ev.LogSeverity]:
    if returncode == 0:
        return f"{option} finished", ev.LOG_SEVERITY_INFO
    return f"{option} exited with status {returncode}; training goes on", ev.LOG_SEVERITY_WARNING
