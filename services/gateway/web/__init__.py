"""The web UI: pages, templates and static files served by the gateway."""
