"""SchedulerService RPCs: proto messages in, domain calls, proto messages out."""

import grpc

from simpletuner.api.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from simpletuner.libs.rpc.runtime import ServiceRuntime


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    """Jobs, the priority GPU queue, quotas, approvals and the worker registry."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def GetServiceInfo(
        self, request: scheduler_pb2.GetServiceInfoRequest, context: grpc.aio.ServicerContext
    ) -> scheduler_pb2.GetServiceInfoResponse:
        return scheduler_pb2.GetServiceInfoResponse(info=await self._runtime.describe())
