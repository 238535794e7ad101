"""Database access every service shares: engines, sessions and migrations."""
