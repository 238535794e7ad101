"""TrainerService RPCs: proto messages in, domain calls, proto messages out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs import context
from simpletuner.libs.gpus import Inventory
from simpletuner.libs.rpc.errors import InvalidArgument, NotFound
from simpletuner.libs.rpc.runtime import ServiceRuntime
from simpletuner.libs.timestamps import timestamp

from . import store
from .checkpoint_list import list_checkpoints
from .models import Run
from .run_state import RunSnapshot, status_name
from .runs import Owner, Placement, RunManager

T = TypeVar("T")


@dataclass(frozen=True)
class Node:
    """This trainer's machine as the scheduler sees it."""

    name: str
    inventory: Inventory
    max_runs: int


class TrainerServicer(trainer_pb2_grpc.TrainerServiceServicer):
    """Runs training jobs on this machine's GPUs (or CPU) as child processes."""

    def __init__(self, runtime: ServiceRuntime, runs: RunManager, node: Node) -> None:
        self._runtime = runtime
        self._runs = runs
        self._node = node

    async def GetServiceInfo(
        self, request: trainer_pb2.GetServiceInfoRequest, context: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetServiceInfoResponse:
        return trainer_pb2.GetServiceInfoResponse(info=await self._runtime.describe())

    async def StartTraining(
        self, request: trainer_pb2.StartTrainingRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.StartTrainingResponse:
        if not request.job_id or not request.owner_id:
            raise InvalidArgument("StartTraining needs the job_id and owner_id the scheduler chose")
        unknown = sorted(set(request.devices) - {gpu.index for gpu in self._node.inventory.gpus})
        if unknown:
            raise InvalidArgument(f"this node has no GPU {unknown}", devices=",".join(map(str, unknown)))
        placed = Placement(
            job_id=request.job_id,
            owner=Owner(request.owner_id, request.owner_name),
            config=json.loads(request.config_json or "{}"),
            environment=request.environment,
            configs_dir=request.configs_dir,
            devices=tuple(request.devices),
            attempt=request.attempt or 1,
        )
        run = await self._runs.start(placed)
        return trainer_pb2.StartTrainingResponse(run=self._message(run))

    async def GetNode(
        self, request: trainer_pb2.GetNodeRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetNodeResponse:
        node = self._node
        gpus = [trainer_pb2.Gpu(index=g.index, name=g.name, memory_gb=g.memory_gb) for g in node.inventory.gpus]
        return trainer_pb2.GetNodeResponse(
            name=node.name, gpus=gpus, backend=node.inventory.backend, max_runs=node.max_runs
        )

    async def StopTraining(
        self, request: trainer_pb2.StopTrainingRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.StopTrainingResponse:
        run = await self._visible(request.job_id, "job.cancel.all", active=True)
        self._runs.stop(run.job_id)
        return trainer_pb2.StopTrainingResponse(run=self._message(run))

    async def CancelTraining(
        self, request: trainer_pb2.CancelTrainingRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.CancelTrainingResponse:
        run = await self._visible(request.job_id, "job.cancel.all", active=True)
        await self._runs.cancel(run.job_id)
        return trainer_pb2.CancelTrainingResponse(run=self._message(await self._reload(run)))

    async def GetTrainingStatus(
        self, request: trainer_pb2.GetTrainingStatusRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.GetTrainingStatusResponse:
        run = await self._visible(request.job_id, "job.view.all")
        return trainer_pb2.GetTrainingStatusResponse(run=self._message(run))

    async def ListTrainingRuns(
        self, request: trainer_pb2.ListTrainingRunsRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListTrainingRunsResponse:
        statuses = [status_name(status) for status in request.statuses]
        runs = await self._query(store.list_runs, self._owner_filter("job.view.all"), statuses, request.limit or 50)
        return trainer_pb2.ListTrainingRunsResponse(runs=[self._message(run, with_config=False) for run in runs])

    async def TriggerValidation(
        self, request: trainer_pb2.TriggerValidationRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.TriggerValidationResponse:
        run = await self._visible(request.job_id, "job.cancel.all", active=True)
        self._runs.trigger_validation(run.job_id)
        return trainer_pb2.TriggerValidationResponse(job_id=run.job_id)

    async def TriggerCheckpoint(
        self, request: trainer_pb2.TriggerCheckpointRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.TriggerCheckpointResponse:
        run = await self._visible(request.job_id, "job.cancel.all", active=True)
        self._runs.trigger_checkpoint(run.job_id)
        return trainer_pb2.TriggerCheckpointResponse(job_id=run.job_id)

    async def ListCheckpoints(
        self, request: trainer_pb2.ListCheckpointsRequest, context_: grpc.aio.ServicerContext
    ) -> trainer_pb2.ListCheckpointsResponse:
        run = await self._visible(request.job_id, "job.view.all")
        found = await asyncio.to_thread(list_checkpoints, Path(run.output_dir))
        return trainer_pb2.ListCheckpointsResponse(output_dir=run.output_dir, checkpoints=found)

    # who may see what

    def _owner_filter(self, all_permission: str) -> str | None:
        """None (everyone's runs) for holders of the *.all permission, else the caller's own id."""
        who = context.caller.get()
        return None if who.is_service or who.holds(all_permission) else who.subject

    async def _visible(self, job_id: str, all_permission: str, active: bool = False) -> Run:
        """The named run, or the caller's latest (active) one; another user's run is not found (404)."""
        owner = self._owner_filter(all_permission)
        if job_id:
            run = await self._query(store.run_of_job, job_id)
            if run is None or (owner is not None and run.owner_id != owner):
                raise NotFound(f"no training job {job_id}", job_id=job_id)
            return run
        statuses = store.ACTIVE if active else ()
        runs = await self._query(store.list_runs, owner, statuses, 1)
        if not runs:
            raise NotFound("no training job is running" if active else "no training job yet")
        return runs[0]

    async def _query(self, query: Callable[..., T], *args: Any) -> T:
        return await self._runtime.database.run(query, *args)

    async def _reload(self, run: Run) -> Run:
        return await self._query(store.run_of_job, run.job_id) or run

    def _message(self, run: Run, with_config: bool = True) -> trainer_pb2.TrainingRun:
        snapshot = self._runs.snapshot(run.job_id) or RunSnapshot.from_columns(
            run.status, run.message, run.progress_json, run.stages_json
        )
        message = trainer_pb2.TrainingRun(
            job_id=run.job_id,
            environment=run.environment,
            owner_id=run.owner_id,
            owner_name=run.owner_name,
            status=snapshot.status,  # type: ignore[arg-type]
            message=snapshot.message,
            log_tail=run.log_tail,
            stages=[
                trainer_pb2.RunStage(key=s.key, label=s.label, status=s.status, current=s.current, total=s.total)
                for s in snapshot.stages.values()
            ],
            output_dir=run.output_dir,
            config_json=run.config_json if with_config else "",
            exit_code=run.exit_code or 0,
            create_time=timestamp(run.started_at),
            model_family=run.model_family,
            devices=[int(index) for index in run.devices.split(",") if index],
        )
        if snapshot.progress is not None:
            message.progress.CopyFrom(snapshot.progress)
        if (ended := timestamp(run.finished_at)) is not None:
            message.end_time.CopyFrom(ended)
        return message
