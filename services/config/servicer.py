"""ConfigService RPCs: proto messages in, domain calls, proto messages out."""

import grpc

from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.libs.rpc.runtime import ServiceRuntime


class ConfigServicer(config_pb2_grpc.ConfigServiceServicer):
    """Environments, the options catalogue and the workspace's dataset folders."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def GetServiceInfo(
        self, request: config_pb2.GetServiceInfoRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.GetServiceInfoResponse:
        return config_pb2.GetServiceInfoResponse(info=await self._runtime.describe())
