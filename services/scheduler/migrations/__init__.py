"""Alembic revisions of the scheduler service's tables."""
