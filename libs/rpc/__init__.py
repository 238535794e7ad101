"""gRPC plumbing every service shares: server host, interceptors, errors, identity, runner."""
