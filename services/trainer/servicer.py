"""TrainerService RPCs: proto messages in, domain calls, proto messages out."""

import grpc

from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs.rpc.runtime import ServiceRuntime


class TrainerServicer(trainer_pb2_grpc.TrainerServiceServicer):
    """Runs training jobs on this machine's GPUs (or CPU) as child processes."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def GetServiceInfo(
        self, request: trainer_pb2.GetServiceInfoRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetServiceInfoResponse:
        return trainer_pb2.GetServiceInfoResponse(info=await self._runtime.describe())
