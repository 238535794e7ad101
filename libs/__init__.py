"""Shared libraries of the SimpleTuner services: settings, RPC, bus, database, CLI and testing."""
