"""Example environments users start from (`templates/<name>/`: config.json, multidatabackend.json, optional
lycoris_config.json, example.json) and the data the self-contained ones generate. The config service creates
environments from them; `simpletuner train --example NAME` trains one directly."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
