"""Environments as users meet them: owners and permissions, resource rules, each user's active one, audit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simpletuner.libs import context, options
from simpletuner.libs.db.database import Database
from simpletuner.libs.options import bare, validation
from simpletuner.libs.rpc.auth_client import AuthClient
from simpletuner.libs.rpc.errors import InvalidArgument, PermissionDenied

from . import audit, config_files, store
from .environments import (
    DEFAULT_ENVIRONMENT,
    Environment,
    EnvironmentStore,
    Metadata,
    catalogue_defaults,
    merge,
)

ACTIVE_KEY = "active_environment:{user_id}"


@dataclass(frozen=True)
class NewEnvironment:
    name: str
    model_family: str
    model_flavour: str = ""
    model_type: str = ""
    lora_type: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()


class Workspace:
    """The config service's operations on environments (async: they may ask auth about resource rules)."""

    def __init__(self, settings_dirs: tuple[Path, Path], database: Database, auth: AuthClient | None) -> None:
        configs_dir, self.datasets_dir = settings_dirs
        self.store = EnvironmentStore(configs_dir)
        self.db = database
        self.auth = auth

    async def environments(self) -> tuple[list[Environment], str]:
        names = await asyncio.to_thread(self.store.names)
        visible = [name for name in names if await self._allowed(name)]
        environments = [await asyncio.to_thread(self.store.get, name) for name in visible]
        return environments, await asyncio.to_thread(self.active_name)

    async def get(self, name: str) -> Environment:
        await self._check_rules(name)
        return await asyncio.to_thread(self.store.get, name)

    async def create(self, spec: NewEnvironment) -> Environment:
        await self._check_rules(spec.name)
        config = self._starter_config(spec)
        dataloader = self._starter_dataloader(spec.name)
        metadata = Metadata(description=spec.description, tags=list(spec.tags), owner_id=context.caller.get().subject)
        environment = await asyncio.to_thread(self.store.create, spec.name, config, metadata, dataloader)
        self._audit(
            "config.created", spec.name, {"model_family": spec.model_family, "model_type": config["--model_type"]}
        )
        return environment

    async def update(self, name: str, config_json: str, description: str | None, tags: list[str] | None) -> Environment:
        await self._check_writable(name, "edit")
        try:
            config = config_files.loads(config_json)
        except ValueError as exc:
            raise InvalidArgument(f"config is not valid JSON: {exc}", field="config") from None
        if not isinstance(config, dict):
            raise InvalidArgument("config must be a JSON object of options", field="config")
        self._check_restricted(config)
        environment = await asyncio.to_thread(self.store.update, name, config, description, tags)
        self._audit("config.updated", name, {"keys": sorted(config)})
        return environment

    async def delete(self, name: str) -> None:
        await self._check_writable(name, "delete")
        await asyncio.to_thread(self.store.delete, name)
        self._audit("config.deleted", name, {})

    async def activate(self, name: str) -> Environment:
        environment = await self.get(name)
        await asyncio.to_thread(self._set_active, name)
        self._audit("config.activated", name, {})
        return environment

    async def copy(self, name: str, target: str) -> Environment:
        await self._check_rules(name)
        await self._check_rules(target)
        environment = await asyncio.to_thread(self.store.copy, name, target, context.caller.get().subject)
        self._audit("config.created", target, {"copied_from": name})
        return environment

    async def rename(self, name: str, new_name: str) -> Environment:
        await self._check_writable(name, "edit")
        await self._check_rules(new_name)
        environment = await asyncio.to_thread(self.store.rename, name, new_name)
        self._audit("config.renamed", new_name, {"old_name": name})
        return environment

    async def validate(
        self, fields: dict[str, str], environment: str, use_defaults: bool, disabled: list[str]
    ) -> tuple[validation.Report, dict[str, Any], str]:
        """Submitted fields over the environment (the caller's active one by default), then checked."""
        report = validation.Report()
        submitted = validation.coerce(fields, report)
        name = environment or await asyncio.to_thread(self.active_name)
        if name and not await asyncio.to_thread(self.store.exists, name):
            report.warn("environment", f"the active environment {name} no longer exists; using defaults only")
            name = ""
        if name:
            await self._check_rules(name)
            layered = await asyncio.to_thread(self.store.resolved, name, submitted, use_defaults)
        else:
            default = (
                self.store.get(DEFAULT_ENVIRONMENT).config
                if use_defaults and self.store.exists(DEFAULT_ENVIRONMENT)
                else {}
            )
            layered = merge(catalogue_defaults(), default, submitted)
        resolved = {bare(key): value for key, value in layered.items()}
        defaults = catalogue_defaults()
        explicit = {bare(key) for key, value in layered.items() if key not in defaults or defaults[key] != value}
        explicit |= {bare(key) for key in submitted}
        for key in disabled:
            option = options.find(key)
            if option is not None and not option.required:
                resolved.pop(option.name, None)
        found = validation.check(resolved, explicit, self.store.root, self.store.root.parent)
        report.errors += found.errors
        report.warnings += found.warnings
        return report, resolved, name

    def active_name(self) -> str:
        with self.db.session() as db:
            return str(store.get_setting(db, ACTIVE_KEY.format(user_id=context.caller.get().subject), ""))

    def _set_active(self, name: str) -> None:
        with self.db.session() as db:
            store.set_setting(db, ACTIVE_KEY.format(user_id=context.caller.get().subject), name)

    # rules

    async def _allowed(self, name: str) -> bool:
        if self.auth is None:
            return True
        allowed, _ = await self.auth.may_use("config", name)
        return allowed

    async def _check_rules(self, name: str) -> None:
        self.store.folder(name)  # a bad name is a bad request before anything else
        if self.auth is not None:
            allowed, reason = await self.auth.may_use("config", name)
            if not allowed:
                raise PermissionDenied(f"environment {name}: {reason}")

    async def _check_writable(self, name: str, action: str) -> None:
        """Your own environments need config.<action>.own; anyone else's config.<action>.all."""
        await self._check_rules(name)
        environment = await asyncio.to_thread(self.store.get, name)
        who = context.caller.get()
        if who.holds(f"config.{action}.all"):
            return
        if environment.metadata.owner_id != who.subject:
            raise PermissionDenied(
                f"environment {name} belongs to someone else: changing it needs config.{action}.all",
                permission=f"config.{action}.all",
            )

    def _check_restricted(self, config: dict[str, Any]) -> None:
        """Options that run code (hook scripts, external validation) need their extra permission."""
        who = context.caller.get()
        for key, value in config.items():
            option = options.find(key)
            if option and option.permission and value not in (None, "", False) and not who.holds(option.permission):
                raise PermissionDenied(f"setting {key} needs {option.permission}", permission=option.permission)

    # starter files

    def _starter_config(self, spec: NewEnvironment) -> dict[str, Any]:
        family = options.BY_NAME["model_family"]
        if spec.model_family not in family.choices:
            raise InvalidArgument(
                f"unknown model_family {spec.model_family!r}; choose one of {', '.join(family.choices)}",
                field="model_family",
            )
        for option_name, value in (("model_type", spec.model_type), ("lora_type", spec.lora_type)):
            allowed = options.BY_NAME[option_name].choices
            if value and value not in allowed:
                raise InvalidArgument(f"{option_name} must be one of {', '.join(allowed)}", field=option_name)
        defaults = self.store.get(DEFAULT_ENVIRONMENT).config if self.store.exists(DEFAULT_ENVIRONMENT) else {}
        chosen: dict[str, Any] = {
            "--model_family": spec.model_family,
            "--model_type": spec.model_type or "lora",
            "--output_dir": f"output/{spec.name}",
            "--data_backend_config": f"{spec.name}/multidatabackend.json",
        }
        if spec.model_flavour:
            chosen["--model_flavour"] = spec.model_flavour
        if chosen["--model_type"] == "lora":
            chosen["--lora_type"] = spec.lora_type or "standard"
        return merge(defaults, chosen)

    def _starter_dataloader(self, name: str) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{name}-images",
                "type": "local",
                "dataset_type": "image",
                "instance_data_dir": str(self.datasets_dir / name),
                "caption_strategy": "textfile",
                "resolution": 1024,
                "resolution_type": "pixel_area",
                "cache_dir_vae": f"cache/vae/{name}",
            },
            {
                "id": f"{name}-text-embeds",
                "type": "local",
                "dataset_type": "text_embeds",
                "default": True,
                "cache_dir": f"cache/text/{name}",
            },
        ]

    def _audit(self, event_type: str, name: str, details: dict[str, Any]) -> None:
        audit.record(self.auth, event_type, "environment", name, details)
