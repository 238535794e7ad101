"""Runs the scheduler service alone: `python -m simpletuner.services.scheduler` or `simpletuner serve scheduler`."""

from simpletuner.libs.rpc.runner import main

from .server import SPEC

if __name__ == "__main__":
    main(SPEC)
