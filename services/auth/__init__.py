"""The auth service: identity: users, sessions, API keys, levels, permissions and the audit log."""
