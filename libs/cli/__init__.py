"""The `simpletuner` command and the embedded launcher behind `simpletuner server`."""
