"""Runs the auth service alone: `python -m simpletuner.services.auth` or `simpletuner serve auth`."""

from simpletuner.libs.rpc.runner import main

from .server import SPEC

if __name__ == "__main__":
    main(SPEC)
