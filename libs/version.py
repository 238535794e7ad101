"""The installed SimpleTuner version."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("simpletuner")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0.0.0+source"
