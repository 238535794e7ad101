"""Runs the gateway alone: `python -m simpletuner.services.gateway` or `simpletuner serve gateway`."""

import uvicorn

from simpletuner.libs.logs import configure_logging

from .app import create_app
from .clients import ServiceClients
from .settings import GatewaySettings

SHUTDOWN_GRACE_SECONDS = 3


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.stack.log_level)
    app = create_app(settings, ServiceClients.from_settings(settings.stack))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        log_config=None,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


if __name__ == "__main__":
    main()
