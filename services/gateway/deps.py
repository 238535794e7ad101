"""FastAPI dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends, Request

from .clients import ServiceClients
from .settings import GatewaySettings


def get_clients(request: Request) -> ServiceClients:
    return request.app.state.clients


def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


ClientsDep = Annotated[ServiceClients, Depends(get_clients)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
