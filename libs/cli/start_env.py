"""`simpletuner server --env NAME`: once the stack is ready, validate that environment and start its training."""

from __future__ import annotations

from dataclasses import dataclass

from simpletuner.api.config.v1 import config_pb2
from simpletuner.api.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.client import ServiceTokenSource, open_channel
from simpletuner.libs.settings import StackSettings

LAUNCHER = "launcher"  # the service identity the run is started (and owned) by


@dataclass(frozen=True)
class Started:
    """The outcome: a job id, or the problems that keep the environment from training."""

    job_id: str = ""
    problems: tuple[str, ...] = ()


async def start_environment(name: str, stack: StackSettings) -> Started:
    """Validate `name` (the Default environment underneath, as the web UI's default) and start it."""
    tokens = ServiceTokenSource(LAUNCHER, stack.address_of("auth"), stack.load_service_secret)
    rules = access_rules(scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"])
    async with open_channel(stack.address_of("scheduler"), tokens, rules) as channel:
        request = scheduler_pb2.SubmitJobRequest(config_name=name, use_environment_defaults=True)
        reply = await scheduler_pb2_grpc.SchedulerServiceStub(channel).SubmitJob(request, timeout=60)
    if not reply.accepted:
        return Started(problems=tuple(_problem(error) for error in reply.errors))
    return Started(job_id=reply.job.job_id)


def _problem(error: config_pb2.ConfigProblem) -> str:
    return f"--{error.field}: {error.message}" if error.field else error.message
