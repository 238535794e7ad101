"""Alembic revisions of the auth service's tables."""
