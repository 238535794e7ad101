"""AuthService RPCs: proto messages in, domain calls, proto messages out."""

import grpc

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.libs.rpc.runtime import ServiceRuntime


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    """Identity: users, sessions, API keys, levels, permissions and the audit log."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def GetServiceInfo(
        self, request: auth_pb2.GetServiceInfoRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.GetServiceInfoResponse:
        return auth_pb2.GetServiceInfoResponse(info=await self._runtime.describe())
