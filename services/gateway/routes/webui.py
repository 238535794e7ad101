"""The web UI's own state (/api/webui): the first-run onboarding's steps and the workspace's folders.

The steps are the seeds' onboarding questions, in order. Each POST saves one step's answers through the
service that owns them (folders: the config service's WorkspaceService; GPUs: the Default environment;
the first environment: the ConfigService) and records the step as done; `{"skip": true}` records it
without changing anything. Once every step is done, onboarding is complete and administrators are no
longer sent to /onboarding.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import grpc
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simpletuner.api.common.v1 import access_pb2 as p
from simpletuner.api.config.v1 import config_pb2, workspace_pb2
from simpletuner.api.scheduler.v1 import scheduler_pb2
from simpletuner.libs import jsontext
from simpletuner.libs.rpc.errors import error_info_of

from ..clients import ServiceClients
from ..deps import ClientsDep
from ..errors import http_status_of, rpc_error_body
from ..security import requires

router = APIRouter(prefix="/api/webui", tags=["web ui"])


DEFAULTS_DESCRIPTION = "Values merged into every environment that uses environment defaults; not for training."


class StepBody(BaseModel):
    """What every step accepts: `skip` records the step as done without changing anything."""

    model_config = ConfigDict(extra="forbid")
    skip: bool = False


class ConfigsStep(StepBody):
    configs_dir: str = Field("", description="absolute path; empty keeps the current folder")


class FoldersStep(StepBody):
    datasets_dir: str = Field("", description="absolute path; empty keeps the current folder")
    output_dir: str = Field("", description="absolute path; empty keeps the current folder")


class GpusStep(StepBody):
    devices: list[int] = Field(default_factory=list, description="GPU indexes (CUDA_VISIBLE_DEVICES numbering)")


class EnvironmentStep(StepBody):
    mode: Literal["example", "empty", "existing"] = "example"
    name: str = Field("", max_length=100)
    example: str = ""
    model_family: str = ""


class StepError(Exception):
    """A step's answer that cannot be saved: the field it concerns and what to fix."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def state_json(settings: workspace_pb2.WorkspaceSettings) -> dict[str, Any]:
    done = set(settings.completed_steps)
    return {
        "onboarding": {
            "complete": settings.onboarding_complete,
            "completed_steps": list(settings.completed_steps),
            "steps": [{"id": step.id, "title": step.title, "done": step.id in done} for step in STEPS],
        },
        "workspace": {
            "configs_dir": settings.configs_dir,
            "datasets_dir": settings.datasets_dir,
            "output_dir": settings.output_dir,
            "workspace_dir": settings.workspace_dir,
            "default_environment": settings.default_environment,
            "defaults": {
                "configs_dir": settings.default_configs_dir,
                "datasets_dir": settings.default_datasets_dir,
                "output_dir": settings.default_output_dir,
            },
        },
    }


async def workspace_settings(clients: ServiceClients) -> workspace_pb2.WorkspaceSettings:
    return (await clients.workspace.GetWorkspaceSettings(workspace_pb2.GetWorkspaceSettingsRequest())).settings


@router.get("/state", dependencies=[Depends(requires(p.PERMISSION_CONFIG_VIEW))])
async def state(clients: ClientsDep) -> dict[str, Any]:
    """Onboarding progress (`{complete, completed_steps, steps:[{id, title, done}]}`) and the workspace's folders."""
    return state_json(await workspace_settings(clients))


@router.post("/onboarding/steps/{step_id}", dependencies=[Depends(requires(p.PERMISSION_ADMIN_CONFIG))])
async def save_step(step_id: str, request: Request, clients: ClientsDep) -> Response:
    """Save one step's answers and record it as done; the body is the step's values:

    - `configs`: `{configs_dir}` (environments already in it are discovered)
    - `folders`: `{datasets_dir, output_dir}`
    - `gpus`: `{devices: [0, 1]}`, stored in the Default environment as accelerate_visible_devices / num_processes
    - `environment`: `{mode: example|empty|existing, name, example?, model_family?}`, created (unless existing)
      and made your active environment

    Any step takes `{"skip": true}`. Answers that cannot be used answer 400 with `{detail, field}`.
    """
    step = STEP_BY_ID.get(step_id)
    if step is None:
        raise HTTPException(404, f"no onboarding step {step_id!r}; the steps are {', '.join(STEP_BY_ID)}")
    body = _step_body(step, await _json_body(request))
    try:
        current = await workspace_settings(clients)
        message = "Skipped" if body.skip else await step.save(body, clients)
        settings = await _record_done(clients, current, step_id)
    except StepError as error:
        return JSONResponse({"detail": error.message, "field": error.field}, status_code=error.status)
    except grpc.aio.AioRpcError as error:
        return _field_error(error)
    return JSONResponse(state_json(settings) | {"message": message})


@router.post("/onboarding/complete", dependencies=[Depends(requires(p.PERMISSION_ADMIN_CONFIG))])
async def complete_onboarding(clients: ClientsDep) -> dict[str, Any]:
    """Finish onboarding now, leaving the steps not done as they are (administrators are no longer sent to it)."""
    return await _update(clients, workspace_pb2.UpdateWorkspaceSettingsRequest(onboarding_complete=True))


@router.post("/onboarding/reset", dependencies=[Depends(requires(p.PERMISSION_ADMIN_CONFIG))])
async def reset_onboarding(clients: ClientsDep) -> dict[str, Any]:
    """Start onboarding again: no step done (the folders stay as they are)."""
    wanted = workspace_pb2.UpdateWorkspaceSettingsRequest(replace_completed_steps=True, onboarding_complete=False)
    return await _update(clients, wanted)


# the steps


async def _save_configs(body: StepBody, clients: ServiceClients) -> str:
    assert isinstance(body, ConfigsStep)
    if body.configs_dir.strip():
        await _set_folders(clients, configs_dir=body.configs_dir)
    listing = await clients.config.ListEnvironments(config_pb2.ListEnvironmentsRequest())
    found = [environment.name for environment in listing.environments]
    settings = await workspace_settings(clients)
    if not found:
        return f"Environments live in {settings.configs_dir}; it holds none yet: you create the first one at the end"
    return f"Environments live in {settings.configs_dir}; found {len(found)}: {', '.join(found)}"


async def _save_folders(body: StepBody, clients: ServiceClients) -> str:
    assert isinstance(body, FoldersStep)
    chosen = {"datasets_dir": body.datasets_dir, "output_dir": body.output_dir}
    await _set_folders(clients, **{name: value for name, value in chosen.items() if value.strip()})
    settings = await workspace_settings(clients)
    return f"Datasets go to {settings.datasets_dir}, outputs to {settings.output_dir}"


async def _save_gpus(body: StepBody, clients: ServiceClients) -> str:
    assert isinstance(body, GpusStep)
    allocation = (await clients.scheduler.GetGpuAllocation(scheduler_pb2.GetGpuAllocationRequest())).allocation
    known = sorted(device.index for device in allocation.devices)
    devices = sorted(set(body.devices))
    if unknown := [index for index in devices if index not in known]:
        where = f"pick from {', '.join(map(str, known))}" if known else "this machine has no GPU; choose none"
        raise StepError("devices", f"GPU {', '.join(map(str, unknown))} is not on this machine: {where}")
    if not known:
        return "No GPU on this machine: training runs on the CPU"
    if not devices:
        raise StepError("devices", "pick at least one GPU, or skip this step to let each job take any free GPU")
    default = (await workspace_settings(clients)).default_environment
    values = {"accelerate_visible_devices": ",".join(map(str, devices)), "num_processes": len(devices)}
    await _set_defaults(clients, default, values)
    which = f"GPUs {', '.join(map(str, devices))}" if len(devices) > 1 else f"GPU {devices[0]}"
    return f"The {default} environment now trains on {which}: environments using defaults inherit it"


async def _save_environment(body: StepBody, clients: ServiceClients) -> str:
    assert isinstance(body, EnvironmentStep)
    name = body.name.strip()
    if not name:
        raise StepError("name", "give the environment a name (letters, digits, '.', '_' or '-')", 422)
    if body.mode == "example" and not body.example:
        raise StepError("example", "pick an example to start from, or create an empty environment", 422)
    if body.mode != "existing":
        spec = {"example": body.example} if body.mode == "example" else {"model_family": body.model_family}
        await clients.config.CreateEnvironment(config_pb2.CreateEnvironmentRequest(name=name, **spec))
    await clients.config.ActivateEnvironment(config_pb2.ActivateEnvironmentRequest(name=name))
    return f"Environment {name} is active" if body.mode == "existing" else f"Environment {name} created and active"


@dataclass(frozen=True)
class Step:
    """One onboarding question: its id, its title, the answers it takes and how they are saved."""

    id: str
    title: str
    body: type[StepBody]
    save: Callable[[Any, ServiceClients], Awaitable[str]]


# The seeds' onboarding, in order.
STEPS: tuple[Step, ...] = (
    Step("configs", "Configuration folder", ConfigsStep, _save_configs),
    Step("folders", "Datasets and outputs", FoldersStep, _save_folders),
    Step("gpus", "GPUs", GpusStep, _save_gpus),
    Step("environment", "First environment", EnvironmentStep, _save_environment),
)
STEP_BY_ID = {step.id: step for step in STEPS}


# helpers


async def _set_folders(clients: ServiceClients, **folders: str) -> None:
    if folders:
        request = workspace_pb2.UpdateWorkspaceSettingsRequest()
        for field, path in folders.items():  # only the folders named: the others keep their setting
            setattr(request, field, path)
        await clients.workspace.UpdateWorkspaceSettings(request)


async def _set_defaults(clients: ServiceClients, name: str, values: dict[str, Any]) -> None:
    """Set options in the Default environment (created, holding only them, when it does not exist yet)."""
    try:
        current = (await clients.config.GetEnvironment(config_pb2.GetEnvironmentRequest(name=name))).environment
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        document = {"_metadata": {"description": DEFAULTS_DESCRIPTION}} | {f"--{k}": v for k, v in values.items()}
        wanted = config_pb2.ImportEnvironmentRequest(document_json=jsontext.dumps(document), name=name)
        await clients.config.ImportEnvironment(wanted)
        return
    config = jsontext.loads(current.config_json)
    for key, value in values.items():
        config[_spelling(config, key)] = value
    update = config_pb2.UpdateEnvironmentRequest(name=name, config_json=jsontext.dumps(config))
    await clients.config.UpdateEnvironment(update)


def _spelling(config: dict[str, Any], name: str) -> str:
    """The key this config uses for option `name` (`--name` or `name`), `--name` when it has none."""
    return name if name in config and f"--{name}" not in config else f"--{name}"


async def _record_done(
    clients: ServiceClients, current: workspace_pb2.WorkspaceSettings, step_id: str
) -> workspace_pb2.WorkspaceSettings:
    """Add the step to the done ones; the last one done completes onboarding."""
    done = {*current.completed_steps, step_id}
    wanted = workspace_pb2.UpdateWorkspaceSettingsRequest(completed_steps=[step_id])
    if all(step.id in done for step in STEPS):
        wanted.onboarding_complete = True
    return (await clients.workspace.UpdateWorkspaceSettings(wanted)).settings


async def _update(clients: ServiceClients, wanted: workspace_pb2.UpdateWorkspaceSettingsRequest) -> dict[str, Any]:
    return state_json((await clients.workspace.UpdateWorkspaceSettings(wanted)).settings)


def _field_error(error: grpc.aio.AioRpcError) -> JSONResponse:
    """A service's refusal with the field it names (so the page can show it next to that field)."""
    info = error_info_of(error)
    field = info.metadata.get("field", "") if info else ""
    if not field and error.code() == grpc.StatusCode.ALREADY_EXISTS:
        field = "name"
    return JSONResponse(rpc_error_body(error) | {"field": field}, status_code=http_status_of(error.code()))


def _step_body(step: Step, raw: dict[str, Any]) -> StepBody:
    try:
        return step.body.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


async def _json_body(request: Request) -> dict[str, Any]:
    text = await request.body()
    if not text.strip():
        return {}
    try:
        body = jsontext.loads(text.decode("utf-8"))
    except ValueError:
        raise HTTPException(422, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(422, "the body must be a JSON object of the step's values")
    return body
