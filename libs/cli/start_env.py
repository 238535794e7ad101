"""`simpletuner server --env NAME`: once the stack is ready, validate that environment and start its training."""

from __future__ import annotations

from dataclasses import dataclass

from simpletuner.api.config.v1 import config_pb2
from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
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
    rules = access_rules(trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"])
    async with open_channel(stack.address_of("trainer"), tokens, rules) as channel:
        request = trainer_pb2.StartTrainingRequest(environment=name, use_environment_defaults=True)
        reply = await trainer_pb2_grpc.TrainerServiceStub(channel).StartTraining(request, timeout=60)
    if not reply.started:
        return Started(problems=tuple(_problem(error) for error in reply.errors))
    return Started(job_id=reply.run.job_id)


def _problem(error: config_pb2.ConfigProblem) -> str:
    return f"--{error.field}: {error.message}" if error.field else error.message
