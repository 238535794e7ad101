"""ConfigService RPCs: proto messages in, domain calls, proto messages out."""

import asyncio
import json

import grpc

from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.libs import options
from simpletuner.libs.rpc.runtime import ServiceRuntime

from . import config_files, lycoris
from .environments import Environment, unknown_keys
from .workspace import NewEnvironment, Workspace


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


def environment_message(environment: Environment, active: str, with_config: bool = True) -> config_pb2.Environment:
    meta = environment.metadata
    config = {options.bare(key): value for key, value in environment.config.items()}
    return config_pb2.Environment(
        name=environment.name,
        config_json=config_files.dumps(environment.config) if with_config else "",
        metadata=config_pb2.EnvironmentMetadata(
            description=meta.description,
            tags=meta.tags,
            owner_id=meta.owner_id,
            create_time=meta.created_at,
            update_time=meta.updated_at,
            use_environment_defaults=meta.use_environment_defaults,
        ),
        dataloaders=environment.dataloaders,
        is_active=environment.name == active,
        unknown_keys=unknown_keys(environment.config),
        model_family=str(config.get("model_family") or ""),
        model_type=str(config.get("model_type") or ""),
    )


def problems(found: list[tuple[str, str]]) -> list[config_pb2.ConfigProblem]:
    return [config_pb2.ConfigProblem(field=field, message=message) for field, message in found]


class ConfigServicer(config_pb2_grpc.ConfigServiceServicer):
    """Environments, their examples and LyCORIS files, validation and the options catalogue."""

    def __init__(self, runtime: ServiceRuntime, workspace: Workspace) -> None:
        self._runtime = runtime
        self._workspace = workspace
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

    async def ListEnvironments(
        self, request: config_pb2.ListEnvironmentsRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ListEnvironmentsResponse:
        environments, active = await self._workspace.environments()
        return config_pb2.ListEnvironmentsResponse(
            environments=[environment_message(e, active, with_config=False) for e in environments], active=active
        )

    async def GetEnvironment(
        self, request: config_pb2.GetEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.GetEnvironmentResponse:
        environment = await self._workspace.get(request.name)
        return config_pb2.GetEnvironmentResponse(environment=await self._message(environment))

    async def CreateEnvironment(
        self, request: config_pb2.CreateEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.CreateEnvironmentResponse:
        spec = NewEnvironment(
            name=request.name,
            model_family=request.model_family,
            model_flavour=request.model_flavour,
            model_type=request.model_type,
            lora_type=request.lora_type,
            description=request.description,
            tags=tuple(request.tags),
            example=request.example,
        )
        environment = await self._workspace.create(spec)
        return config_pb2.CreateEnvironmentResponse(environment=await self._message(environment))

    async def UpdateEnvironment(
        self, request: config_pb2.UpdateEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.UpdateEnvironmentResponse:
        description = request.description if request.HasField("description") else None
        tags = list(request.tags) if request.replace_tags else None
        use_defaults = request.use_environment_defaults if request.HasField("use_environment_defaults") else None
        environment = await self._workspace.update(request.name, request.config_json, description, tags, use_defaults)
        return config_pb2.UpdateEnvironmentResponse(environment=await self._message(environment))

    async def DeleteEnvironment(
        self, request: config_pb2.DeleteEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.DeleteEnvironmentResponse:
        await self._workspace.delete(request.name)
        return config_pb2.DeleteEnvironmentResponse()

    async def ActivateEnvironment(
        self, request: config_pb2.ActivateEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ActivateEnvironmentResponse:
        environment = await self._workspace.activate(request.name)
        return config_pb2.ActivateEnvironmentResponse(environment=await self._message(environment))

    async def CopyEnvironment(
        self, request: config_pb2.CopyEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.CopyEnvironmentResponse:
        environment = await self._workspace.copy(request.name, request.target_name)
        return config_pb2.CopyEnvironmentResponse(environment=await self._message(environment))

    async def RenameEnvironment(
        self, request: config_pb2.RenameEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.RenameEnvironmentResponse:
        environment = await self._workspace.rename(request.name, request.new_name)
        return config_pb2.RenameEnvironmentResponse(environment=await self._message(environment))

    async def ValidateConfig(
        self, request: config_pb2.ValidateConfigRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ValidateConfigResponse:
        report, resolved, environment, saved = await self._workspace.validate(
            dict(request.fields),
            request.environment,
            request.use_environment_defaults,
            list(request.disabled_fields),
            request.save_to_environment,
        )
        return config_pb2.ValidateConfigResponse(
            valid=report.valid,
            errors=problems(report.errors),
            warnings=problems(report.warnings),
            resolved_json=config_files.dumps(resolved),
            environment=environment,
            saved=saved,
            configs_dir=str(self._workspace.store.root),
        )

    async def ExportEnvironment(
        self, request: config_pb2.ExportEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ExportEnvironmentResponse:
        document = await self._workspace.export(request.name, request.include_metadata)
        return config_pb2.ExportEnvironmentResponse(document_json=document)

    async def ImportEnvironment(
        self, request: config_pb2.ImportEnvironmentRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ImportEnvironmentResponse:
        environment = await self._workspace.import_environment(request.document_json, request.name, request.overwrite)
        return config_pb2.ImportEnvironmentResponse(environment=await self._message(environment))

    async def RegenerateDataloader(
        self, request: config_pb2.RegenerateDataloaderRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.RegenerateDataloaderResponse:
        path, absolute, dataloader = await self._workspace.regenerate_dataloader(
            request.name, request.path, request.include_defaults
        )
        return config_pb2.RegenerateDataloaderResponse(
            path=path, absolute_path=str(absolute), dataloader_json=config_files.dumps(dataloader)
        )

    async def GetLycorisConfig(
        self, request: config_pb2.GetLycorisConfigRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.GetLycorisConfigResponse:
        value = await self._workspace.get_lycoris(request.name)
        return config_pb2.GetLycorisConfigResponse(
            lycoris_config_json="" if value is None else config_files.dumps(value)
        )

    async def UpdateLycorisConfig(
        self, request: config_pb2.UpdateLycorisConfigRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.UpdateLycorisConfigResponse:
        value, warnings = await self._workspace.update_lycoris(request.name, request.lycoris_config_json)
        return config_pb2.UpdateLycorisConfigResponse(
            lycoris_config_json=config_files.dumps(value), warnings=problems(warnings)
        )

    async def ValidateLycorisConfig(
        self, request: config_pb2.ValidateLycorisConfigRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ValidateLycorisConfigResponse:
        _, report = lycoris.check_text(request.lycoris_config_json)
        return config_pb2.ValidateLycorisConfigResponse(
            valid=report.valid, errors=problems(report.errors), warnings=problems(report.warnings)
        )

    async def ListExamples(
        self, request: config_pb2.ListExamplesRequest, context: grpc.aio.ServicerContext
    ) -> config_pb2.ListExamplesResponse:
        found = await self._workspace.list_examples()
        return config_pb2.ListExamplesResponse(
            examples=[
                config_pb2.Example(
                    name=example.name,
                    description=example.description,
                    model_family=example.model_family,
                    model_type=example.model_type,
                    lora_type=example.lora_type,
                    self_contained=example.self_contained,
                )
                for example in found
            ]
        )

    async def _message(self, environment: Environment) -> config_pb2.Environment:
        return environment_message(environment, await asyncio.to_thread(self._workspace.active_name))
