"""Alembic revisions of the trainer service's tables."""
