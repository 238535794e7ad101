"""Alembic revisions of the config service's tables."""
