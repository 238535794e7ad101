"""The scheduler service: jobs, the priority GPU queue, quotas, approvals and the worker registry."""
