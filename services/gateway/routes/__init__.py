"""HTTP routers, one module per documented area of the API."""
