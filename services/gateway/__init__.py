"""The gateway: the only HTTP face (documented HTTP/SSE API, OpenAPI docs, web UI) over the gRPC services."""
