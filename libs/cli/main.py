"""The `simpletuner` command: `server` (the whole stack), `serve`/`probe <service>`, `auth`, `train`, `jobs`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import runpy
import sys
from pathlib import Path

from simpletuner.libs.settings import GATEWAY_DEFAULT_PORT, SERVICES, StackSettings

SERVABLE = (*SERVICES, "gateway")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simpletuner", description="Fine-tune diffusion models, alone or as a team.")
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="start the whole stack (embedded NATS, services, web UI and API)")
    server.add_argument("--host", default=os.environ.get("SIMPLETUNER_HOST", "0.0.0.0"), help="address to bind")
    server.add_argument(
        "--port", type=int, default=int(os.environ.get("SIMPLETUNER_PORT", GATEWAY_DEFAULT_PORT)), help="port to bind"
    )
    server.add_argument("--ssl", action="store_true", help="serve HTTPS (self-signed certificate unless given one)")
    server.add_argument("--ssl-cert", type=Path, help="TLS certificate file (PEM)")
    server.add_argument("--ssl-key", type=Path, help="TLS private key file (PEM)")
    server.add_argument("--env", help="environment whose training starts once the server is ready")

    serve = commands.add_parser("serve", help="run one service alone (configured by SIMPLETUNER_* variables)")
    serve.add_argument("service", choices=SERVABLE)

    probe = commands.add_parser("probe", help="exit 0 when the local service answers its health check")
    probe.add_argument("service", choices=SERVABLE)

    auth = commands.add_parser(
        "auth", add_help=False, help="create users and API keys on this workspace (`simpletuner auth --help`)"
    )
    auth.add_argument("args", nargs=argparse.REMAINDER)

    train = commands.add_parser(
        "train", add_help=False, help="train in the foreground: --env NAME or --config FILE, then --option value ..."
    )
    train.add_argument("args", nargs=argparse.REMAINDER)

    worker = commands.add_parser(
        "worker", add_help=False, help="train jobs for a remote orchestrator (`simpletuner worker --help`)"
    )
    worker.add_argument("args", nargs=argparse.REMAINDER)

    jobs = commands.add_parser(
        "jobs", add_help=False, help="submit, list, follow and cancel queued jobs (`simpletuner jobs --help`)"
    )
    jobs.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["auth"]:  # before parsing: every later argument, --help included, is the auth CLI's
        return _auth(argv[1:])
    if argv[:1] == ["train"]:
        return _train(argv[1:])
    if argv[:1] == ["worker"]:  # the trainer's agent, loaded by name (libs never import a service)
        return int(importlib.import_module("simpletuner.services.trainer.worker_agent").main(argv[1:]))
    if argv[:1] == ["jobs"]:
        from simpletuner.libs.cli.jobs import main as jobs_main

        return jobs_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        runpy.run_module(f"simpletuner.services.{args.service}", run_name="__main__", alter_sys=True)
        return 0
    if args.command == "probe":
        from simpletuner.libs.cli.probe import probe

        return 0 if probe(args.service) else 1
    return _server(args)


def _auth(argv: list[str]) -> int:
    """`simpletuner auth`: the auth service's own command line, loaded by name (libs never import a service)."""
    auth_cli = importlib.import_module("simpletuner.services.auth.cli")
    return int(auth_cli.main(argv))


def _train(argv: list[str]) -> int:
    """`simpletuner train`: the training engine's command line, loaded by name (libs never import a service)."""
    train_cli = importlib.import_module("simpletuner.services.trainer.engine.cli")
    return int(train_cli.main(argv))


def _server(args: argparse.Namespace) -> int:
    from simpletuner.libs.cli.launcher import LaunchError, ServerOptions, run_server

    stack = StackSettings()
    logging.basicConfig(level=stack.log_level.upper(), format="%(asctime)s simpletuner %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    options = ServerOptions(args.host, args.port, args.ssl, args.ssl_cert, args.ssl_key, args.env)
    try:
        return run_server(options, stack)
    except LaunchError as exc:
        print(f"simpletuner server: {exc}", file=sys.stderr)
        return 2


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
