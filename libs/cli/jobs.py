"""`simpletuner jobs`: the queue from a terminal, through the HTTP API with an API key (as curl would)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from httpx_sse import connect_sse

from simpletuner.libs.settings import GATEWAY_DEFAULT_PORT

ENDED = ("completed", "failed", "cancelled", "stopped", "rejected")
EXIT_REJECTED = 3
QUEUED_POLL_SECONDS = 2.0


class CliError(Exception):
    """Something the user must fix, said in one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simpletuner jobs", description="Submit and follow jobs in the queue.")
    parser.add_argument(
        "--server",
        default=os.environ.get("SIMPLETUNER_SERVER", f"http://127.0.0.1:{GATEWAY_DEFAULT_PORT}"),
        help="the SimpleTuner server (default: $SIMPLETUNER_SERVER or the local one)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("SIMPLETUNER_API_KEY", ""),
        help="an API key (default: $SIMPLETUNER_API_KEY)",
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON answers")
    commands = parser.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit", help="queue an environment's training")
    submit.add_argument("config_name", help="the environment to train")
    submit.add_argument("--no-wait", action="store_true", help="refuse at once when no GPUs are free")
    submit.add_argument("--any-gpu", action="store_true", help="take any free GPUs instead of the configured ids")
    submit.add_argument("--dry-run", action="store_true", help="only say what would happen")
    submit.add_argument("--target", choices=("auto", "local", "worker"), default="auto", help="where it may run")
    submit.add_argument("--label", action="append", default=[], metavar="KEY=GLOB", help="a worker label to match")
    submit.add_argument("--priority", choices=("low", "normal", "high", "urgent", "critical"))
    submit.add_argument("--request-id", help="makes a retried submission safe")

    listing = commands.add_parser("list", help="jobs in the queue and running")
    listing.add_argument("--all", action="store_true", help="include finished jobs")
    listing.add_argument("--status", action="append", default=[], help="only jobs in this state (repeatable)")
    listing.add_argument("--limit", type=int, default=50)

    for name, text in (("status", "one job and its training progress"), ("cancel", "cancel or kill a job")):
        commands.add_parser(name, help=text).add_argument("job_id")
    logs = commands.add_parser("logs", help="a job's events; --follow keeps streaming until it ends")
    logs.add_argument("job_id")
    logs.add_argument("--follow", "-f", action="store_true")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not args.api_key:
        print(
            "simpletuner jobs: no API key: pass --api-key or set SIMPLETUNER_API_KEY "
            "(make one in the web UI's profile, or POST /api/auth/api-keys)",
            file=sys.stderr,
        )
        return 2
    command: Callable[[httpx.Client, argparse.Namespace], int] = COMMANDS[args.command]
    try:
        with httpx.Client(base_url=args.server, headers={"X-API-Key": args.api_key}, timeout=30) as http:
            return command(http, args)
    except httpx.TransportError as exc:
        print(
            f"simpletuner jobs: no SimpleTuner server at {args.server} ({exc}); start one with "
            "`simpletuner server`, or pass --server",
            file=sys.stderr,
        )
    except CliError as exc:
        print(f"simpletuner jobs: {exc}", file=sys.stderr)
    return 1


def answer(reply: httpx.Response) -> Any:
    """The JSON of a successful answer; the API's own explanation otherwise."""
    body = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
    if reply.status_code >= 400:
        detail = body.get("detail") or body.get("reason") or body.get("error") or reply.text
        problems = "".join(f"\n  --{e['field']}: {e['message']}" for e in body.get("errors", []) if e.get("field"))
        raise CliError(f"{reply.status_code}: {detail}{problems}")
    return body


def submit(http: httpx.Client, args: argparse.Namespace) -> int:
    labels = dict(label.split("=", 1) for label in args.label if "=" in label)
    if len(labels) != len(args.label):
        raise CliError("write each --label as KEY=GLOB, for example gpu_type=a100*")
    body = {
        "config_name": args.config_name,
        "no_wait": args.no_wait,
        "any_gpu": args.any_gpu,
        "dry_run": args.dry_run,
        "target": args.target,
        "worker_labels": labels,
        "priority": args.priority,
        "request_id": args.request_id,
    }
    result = answer(http.post("/api/queue/submit", json=body))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(("would be " if args.dry_run else "") + describe(result["job"]))
    return EXIT_REJECTED if result["status"] == "rejected" else 0


def describe(job: dict[str, Any]) -> str:
    """One line: the job, its state and why."""
    line = f"job {job['job_id']} ({job['config_name']}): {job['status']}"
    if job["status"] == "running" and job["allocated_gpus"]:
        line += f" on GPU(s) {','.join(map(str, job['allocated_gpus']))}"
    if job["queue_position"]:
        line += f", position {job['queue_position']} in the queue"
    return line + (f" - {job['reason']}" if job.get("reason") else "")


def list_jobs(http: httpx.Client, args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"include_completed": args.all, "limit": args.limit, "status": args.status}
    result = answer(http.get("/api/queue", params=params))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    rows = [("JOB", "STATUS", "POS", "PRIORITY", "OWNER", "GPUS", "CONFIG")]
    for job in result["jobs"]:
        gpus = ",".join(map(str, job["allocated_gpus"])) or str(job["gpu_count"])
        position = str(job["queue_position"] or "")
        rows.append(
            (
                job["job_id"],
                job["status"],
                position,
                job["priority_name"],
                job["owner"],
                gpus,
                job["config_name"] or "-",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"{result['total']} job(s)")
    return 0


def status(http: httpx.Client, args: argparse.Namespace) -> int:
    job = answer(http.get(f"/api/queue/jobs/{args.job_id}"))
    local_run = job["attempt"] and job["placement"] and job["placement"].startswith("local")
    run = answer(http.get("/api/training/status", params={"job_id": args.job_id})) if local_run else None
    if args.json:
        print(json.dumps({"job": job, "training": run}, indent=2))
        return 0
    print(describe(job))
    if run and run.get("progress"):
        progress = run["progress"]
        print(
            f"  step {progress['step']}/{progress['total_steps']} ({progress['percent']}%), loss {progress['loss']:.4f}"
        )
    if run and run["job_info"].get("error"):
        print(f"  error: {run['job_info']['error']}")
    return 0


def cancel(http: httpx.Client, args: argparse.Namespace) -> int:
    result = answer(http.post(f"/api/queue/{args.job_id}/cancel"))
    print(json.dumps(result, indent=2) if args.json else describe(result["job"]))
    return 0


def logs(http: httpx.Client, args: argparse.Namespace) -> int:
    """The job's events so far; with --follow, the live stream from there until the job ends."""
    page = answer(http.get("/api/training/events", params={"job_id": args.job_id, "since_index": 0}))
    for event in page["events"]:
        print_event(event, args.json)
    if not args.follow or wait_until_started(http, args.job_id) in ENDED:
        return 0
    params = {"job_id": args.job_id, "since": page["next_index"]}
    with connect_sse(http, "GET", "/api/training/events/stream", params=params, timeout=None) as source:
        if source.response.status_code >= 400:
            source.response.read()
            answer(source.response)
        for message in source.iter_sse():
            if not message.data:
                continue
            event = json.loads(message.data)
            print_event(event, args.json)
            if event.get("type") == "training.status" and (event.get("data") or {}).get("status") in ENDED:
                break
    return 0


def wait_until_started(http: httpx.Client, job_id: str) -> str:
    """A queued job has no events yet: wait for its turn; returns the job's state."""
    while (job := answer(http.get(f"/api/queue/jobs/{job_id}")))["status"] in ("queued", "pending_approval"):
        time.sleep(QUEUED_POLL_SECONDS)
    return str(job["status"])


def print_event(event: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(event))
    else:
        print(f"[{event.get('type', 'event')}] {event.get('message') or event.get('title') or ''}".rstrip())
    sys.stdout.flush()


COMMANDS: dict[str, Callable[[httpx.Client, argparse.Namespace], int]] = {
    "submit": submit,
    "list": list_jobs,
    "status": status,
    "cancel": cancel,
    "logs": logs,
}
