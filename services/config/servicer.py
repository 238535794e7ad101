"""ConfigService RPCs: proto messages in, domain calls, proto messages out."""

import json

import grpc

from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.libs import options
from simpletuner.libs.rpc.runtime import ServiceRuntime


def option_message(option: options.Option) -> config_pb2.OptionSpec:
    return config_pb2.OptionSpec(
        name=option.name,
        kind=option.kind.value,
        default_json=json.dumps(option.default),
        help=option.help,
        tab=option.tab.value,
        group=option.group,
        choices=option.choices,
        families=option.families,
        minimum=option.minimum,
        maximum=option.maximum,
        required=option.required,
        allow_empty=option.allow_empty,
        permission=option.permission,
    )


class ConfigServicer(config_pb2_grpc.ConfigServiceServicer):
    """Environments, the options catalogue and the workspace's dataset folders."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime
        self._catalogue = config_pb2.GetOptionCatalogueResponse(
            options=[option_message(option) for option in options.CATALOGUE],
            model_families=options.MODEL_FAMILIES,
        )

    async def GetServiceInfo(
        self, request: config_pb2.GetServiceInfoRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.GetServiceInfoResponse:
        return config_pb2.GetServiceInfoResponse(info=await self._runtime.describe())

    async def GetOptionCatalogue(
        self, request: config_pb2.GetOptionCatalogueRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.GetOptionCatalogueResponse:
        return self._catalogue
