"""Runs the config service alone: `python -m simpletuner.services.config` or `simpletuner serve config`."""

from simpletuner.libs.rpc.runner import main

from .server import SPEC

if __name__ == "__main__":
    main(SPEC)
