"""Runs the trainer service alone: `python -m simpletuner.services.trainer` or `simpletuner serve trainer`."""

from simpletuner.libs.rpc.runner import main

from .server import SPEC

if __name__ == "__main__":
    main(SPEC)
