"""Environments as users meet them: owners and permissions, resource rules, each user's active one, audit."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from simpletuner.libs import context, options
from simpletuner.libs.db.database import Database
from simpletuner.libs.examples import TEMPLATES_DIR
from simpletuner.libs.examples.demo_dataset import write_demo_dataset
from simpletuner.libs.options import bare, validation
from simpletuner.libs.rpc.auth_client import AuthClient
from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied

from . import audit, config_files, example_environments, lycoris, store
from .dataloaders import DataloaderFile, Dataloaders, Written, starter_text_embeds
from .environments import (
    DATALOADER_FILE,
    DEFAULT_ENVIRONMENT,
    LYCORIS_FILE,
    Bundle,
    Environment,
    EnvironmentStore,
    Metadata,
    catalogue_defaults,
    dataloader_file,
    export_document,
    merge,
    parse_document,
    retarget_config,
    spelling,
)
from .workspace_settings import WorkspaceDirs

log = logging.getLogger("simpletuner.config.workspace")

ACTIVE_KEY = "active_environment:{user_id}"
# The options that point at an environment's own files: an import under a new name points them at the new one.
OWN_FILES = frozenset({"data_backend_config", "lycoris_config"})


@dataclass(frozen=True)
class NewEnvironment:
    name: str
    model_family: str
    model_flavour: str = ""
    model_type: str = ""
    lora_type: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    example: str = ""


def lycoris_path(name: str) -> str:
    """Where an environment's LyCORIS config lives, written as SimpleTuner documents --lycoris_config
    (`config/...`, which validation.resolve_path reads as configs_dir/...)."""
    return f"config/{name}/{LYCORIS_FILE}"


class Workspace:
    """The config service's operations on environments (async: they may ask auth about resource rules)."""

    def __init__(
        self,
        dirs: WorkspaceDirs | tuple[Path, Path],
        database: Database,
        auth: AuthClient | None,
        examples_dir: Path = TEMPLATES_DIR,
    ) -> None:
        """`dirs`: the workspace's folders (a (configs_dir, datasets_dir) pair: fixed ones, for tools and tests)."""
        self.dirs = dirs if isinstance(dirs, WorkspaceDirs) else WorkspaceDirs.fixed(*dirs)
        self._stores: dict[Path, EnvironmentStore] = {}
        self.db = database
        self.auth = auth
        self.examples_dir = examples_dir

    @property
    def store(self) -> EnvironmentStore:
        """The environments of configs_dir as it is now (an administrator may move it while we run)."""
        root = self.dirs.configs_dir
        if root not in self._stores:
            self._stores[root] = EnvironmentStore(root)
        return self._stores[root]

    @property
    def datasets_dir(self) -> Path:
        return self.dirs.datasets_dir

    async def environments(self) -> tuple[list[Environment], str]:
        """Every environment the caller may see; a folder that cannot be read is left out, not fatal to all."""
        names = await asyncio.to_thread(self.store.names)
        visible = [name for name in names if await self._allowed(name)]
        found = [await asyncio.to_thread(self._readable, name) for name in visible]
        environments = [environment for environment in found if environment is not None]
        active = await asyncio.to_thread(self.active_name)
        # an active environment left behind in another configs_dir (or deleted by hand) is no longer active
        return environments, active if active in names else ""

    def _readable(self, name: str) -> Environment | None:
        try:
            return self.store.get(name)
        except (InvalidArgument, NotFound) as exc:  # broken JSON, a symlink, or deleted while we listed
            log.warning("environment %s left out of the list: %s", name, exc.message)
            return None

    async def get(self, name: str) -> Environment:
        await self._check_rules(name)
        return await asyncio.to_thread(self.store.get, name)

    async def create(self, spec: NewEnvironment) -> Environment:
        """From an example when `spec.example` names one, else from the default environment."""
        await self._check_rules(spec.name)
        bundle = await asyncio.to_thread(self._from_example, spec) if spec.example else self._starter(spec)
        who = context.caller.get().subject
        metadata = Metadata(spec.description or bundle.metadata.description, list(spec.tags), owner_id=who)
        environment = await asyncio.to_thread(self.store.install, spec.name, bundle.files(), metadata)
        config = {bare(key): value for key, value in bundle.config.items()}
        details = {"model_family": config.get("model_family"), "model_type": config.get("model_type", "lora")}
        self._audit("config.created", spec.name, details | ({"example": spec.example} if spec.example else {}))
        return environment

    async def update(
        self,
        name: str,
        config_json: str,
        description: str | None,
        tags: list[str] | None,
        use_defaults: bool | None = None,
    ) -> Environment:
        """Replace the config (an empty `config_json` keeps it) and the metadata given."""
        await self._check_writable(name, "edit")
        if not config_json:
            config = (await asyncio.to_thread(self.store.get, name)).config
        else:
            config = self._parsed_config(config_json)
            self._check_restricted(config)
        environment = await asyncio.to_thread(self.store.update, name, config, description, tags, use_defaults)
        changed = {"keys": sorted(config)} if config_json else {}
        self._audit("config.updated", name, changed | _given(use_environment_defaults=use_defaults))
        return environment

    @staticmethod
    def _parsed_config(config_json: str) -> dict[str, Any]:
        try:
            config = config_files.loads(config_json)
        except ValueError as exc:
            raise InvalidArgument(f"config is not valid JSON: {exc}", field="config") from None
        if not isinstance(config, dict):
            raise InvalidArgument("config must be a JSON object of options", field="config")
        return config

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
        await asyncio.to_thread(self._move_active, name, new_name)
        self._audit("config.renamed", new_name, {"old_name": name})
        return environment

    async def export(self, name: str, include_metadata: bool) -> str:
        """The environment as one JSON document (see environments.export_document)."""
        await self._check_rules(name)
        bundle = await asyncio.to_thread(self.store.bundle, name)
        return config_files.dumps(export_document(bundle, name, include_metadata))

    async def import_environment(self, document_json: str, name: str, overwrite: bool) -> Environment:
        """Create `name` (default: the document's own) from an export; the caller owns the result."""
        try:
            bundle = parse_document(config_files.loads(document_json))
        except ValueError as exc:
            raise InvalidArgument(f"data is not valid JSON: {exc}", field="data") from None
        target = name or bundle.name
        if not target:
            raise InvalidArgument("give a name: the document does not carry one (_metadata.name)", field="name")
        await self._check_rules(target)
        self._check_restricted(bundle.config)
        if bundle.lycoris is not None:
            _raise_for(lycoris.check(bundle.lycoris))
        exists = await asyncio.to_thread(self.store.exists, target)
        if exists and not overwrite:
            raise AlreadyExists(f"an environment named {target} already exists; import with overwrite to replace it")
        if exists:
            await self._check_writable(target, "edit")
            self._check_holds_any("config.edit.own", "config.edit.all")
        if bundle.name and bundle.name != target:
            bundle.config = retarget_config(bundle.config, bundle.name, target, OWN_FILES)
        bundle.metadata.owner_id = context.caller.get().subject  # never the document's owner
        environment = await asyncio.to_thread(self.store.install, target, bundle.files(), bundle.metadata, exists)
        details = {"replaced": exists, "source_name": bundle.name, "dataloaders": sorted(bundle.dataloaders)}
        self._audit("config.imported", target, details)
        return environment

    async def regenerate_dataloader(self, name: str, path: str, include_defaults: bool) -> tuple[str, Path, Any]:
        """Write a starter dataloader (or an empty list) and point the config's data_backend_config at it."""
        await self._check_writable(name, "edit")
        file = self._dataloader_name(name, path)
        dataloader = self._starter_dataloader(name) if include_defaults else []
        await asyncio.to_thread(self._point_at_dataloader, name, file, dataloader)
        self._audit("config.dataloader_regenerated", name, {"path": file, "include_defaults": include_defaults})
        return f"{name}/{file}", self.store.folder(name) / file, dataloader

    async def get_dataloader(self, name: str, file: str) -> DataloaderFile:
        """One of the environment's dataloader files (`file` empty: the one its runs read), checked."""
        await self._check_rules(name)
        files = self._dataloaders()
        return await asyncio.to_thread(lambda: files.read(name, files.choose(name, file)))

    async def update_dataloader(
        self, name: str, file: str, text: str, etag: str, ensure_text_embeds: bool, request_id: str
    ) -> Written:
        """Replace a dataloader file once every entry passes the checks (see dataloaders.Dataloaders.replace)."""
        await self._check_writable(name, "edit")
        files = self._dataloaders()
        chosen = await asyncio.to_thread(files.choose, name, file)
        request = (context.caller.get().subject, request_id)
        written = await asyncio.to_thread(files.replace, name, chosen, text, etag, ensure_text_embeds, request)
        if written.saved and not written.replayed and written.file is not None:
            data = written.file.data if isinstance(written.file.data, list) else []
            ids = [entry.get("id") for entry in data if isinstance(entry, dict)]
            details = {"path": written.file.path, "datasets": ids, "request_id": request_id or None}
            self._audit("config.dataloader_updated", name, details)
        return written

    def _dataloaders(self) -> Dataloaders:
        return Dataloaders(self.store, self.dirs.workspace, self.db)

    async def get_lycoris(self, name: str) -> Any:
        await self._check_rules(name)
        return await asyncio.to_thread(self.store.lycoris, name)

    async def update_lycoris(self, name: str, text: str) -> tuple[Any, list[tuple[str, str]]]:
        """Check, then store lycoris_config.json; warnings say when the config would not read it."""
        await self._check_writable(name, "edit")
        value, report = lycoris.check_text(text)
        _raise_for(report)
        warnings = await asyncio.to_thread(self._store_lycoris, name, value)
        self._audit("config.lycoris_updated", name, {"algo": value.get("algo")})
        return value, report.warnings + warnings

    async def list_examples(self) -> list[example_environments.Example]:
        return await asyncio.to_thread(example_environments.examples, self.examples_dir)

    async def validate(
        self, fields: dict[str, str], environment: str, use_defaults: bool, disabled: list[str], save: bool = False
    ) -> tuple[validation.Report, dict[str, Any], str, bool]:
        """Submitted fields over the environment (the caller's active one by default), then checked; with `save`,
        a valid submission is also written into that environment (as starting a run from the form does)."""
        report = validation.Report()
        submitted = validation.coerce(fields, report)
        for key, permission in self._restricted(submitted):
            report.error(key, f"setting {key} needs the {permission} permission (it runs code on the trainer)")
        name = environment or await asyncio.to_thread(self.active_name)
        if name and not await asyncio.to_thread(self.store.exists, name):
            if environment:  # asked for by name: a typo must not silently train the defaults
                raise NotFound(f"no environment named {name}; GET /api/configs/ lists them", environment=name)
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
        # by bare name: `num_train_epochs` and `--num_train_epochs` are one option, whichever way a file spells it
        defaults = {bare(key): value for key, value in catalogue_defaults().items()}
        explicit = {key for key, value in resolved.items() if key not in defaults or defaults[key] != value}
        explicit |= {bare(key) for key in submitted}
        for key in disabled:
            option = options.find(key)
            if option is not None and not option.required:
                resolved.pop(option.name, None)
        found = validation.check(resolved, explicit, self.store.root, self.dirs.workspace)
        if "num_train_epochs" not in explicit and (resolved.get("max_train_steps") or 0) > 0:
            resolved["num_train_epochs"] = 0  # steps asked for win over the default epochs, in the run's config too
        report.errors += found.errors
        report.warnings += found.warnings
        await self._check_output_rules(resolved.get("output_dir"), report)
        await self._check_hub_login(resolved, report)
        saved = bool(save and report.valid and name and submitted) and await self._save_submitted(name, submitted)
        return report, resolved, name, saved

    async def _save_submitted(self, name: str, submitted: dict[str, Any]) -> bool:
        """Write submitted fields into the environment's config.json, each under the key spelling it uses."""
        await self._check_writable(name, "edit")
        current = (await asyncio.to_thread(self.store.get, name)).config
        spelled = {spelling(current, key): value for key, value in submitted.items()}
        await asyncio.to_thread(self.store.update, name, current | spelled, None, None)
        self._audit("config.updated", name, {"keys": sorted(submitted), "by": "training.start"})
        return True

    def active_name(self) -> str:
        with self.db.session() as db:
            return str(store.get_setting(db, ACTIVE_KEY.format(user_id=context.caller.get().subject), ""))

    def _set_active(self, name: str) -> None:
        with self.db.session() as db:
            store.set_setting(db, ACTIVE_KEY.format(user_id=context.caller.get().subject), name)

    def _move_active(self, old: str, new: str) -> None:
        """Everyone whose active environment was renamed keeps it active under its new name."""
        with self.db.session() as db:
            store.replace_setting_values(db, ACTIVE_KEY.format(user_id=""), old, new)

    # rules

    async def _allowed(self, name: str) -> bool:
        if self.auth is None:
            return True
        allowed, _ = await self.auth.may_use("config", name)
        return allowed

    async def _check_output_rules(self, output_dir: Any, report: validation.Report) -> None:
        """Resource rules on output paths decide where a user's runs may write (admins and services anywhere)."""
        if self.auth is None or not output_dir or context.caller.get().is_service:
            return
        path = Path(str(output_dir)).expanduser()
        target = str(path if path.is_absolute() else self.dirs.workspace / path)
        allowed, reason = await self.auth.may_use("output_path", target)
        if not allowed:
            report.error("output_dir", f"you may not write to {target}: {reason}; pick a folder your rules allow")

    async def _check_hub_login(self, resolved: dict[str, Any], report: validation.Report) -> None:
        """Uploads go out with the owner's own Hub token: without one saved, push_to_hub could only fail at the end."""
        if self.auth is None or not resolved.get("push_to_hub") or context.caller.get().is_service:
            return
        try:
            saved = (await self.auth.hub_login()).saved
        except grpc.aio.AioRpcError as exc:  # a caller who may not submit runs has no login to use either
            if exc.code() != grpc.StatusCode.PERMISSION_DENIED:
                raise
            saved = False
        if not saved:
            report.error(
                "push_to_hub",
                "you have no Hugging Face Hub token saved: log in to the Hub in the Publishing tab "
                "(POST /api/publishing/token/save), or turn push_to_hub off",
            )

    async def _check_rules(self, name: str) -> None:
        self.store.folder(name)  # a bad name is a bad request before anything else
        if self.auth is not None and not context.caller.get().is_service:  # resource rules are for users
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

    def _check_holds_any(self, *permissions: str) -> None:
        who = context.caller.get()
        if not any(who.holds(permission) for permission in permissions):
            raise PermissionDenied(f"this needs {' or '.join(permissions)}", permission=permissions[0])

    def _check_restricted(self, config: dict[str, Any]) -> None:
        """Options that run code (hook scripts, external validation) need their extra permission."""
        for key, permission in self._restricted(config):
            raise PermissionDenied(f"setting {key} needs {permission}", permission=permission)

    @staticmethod
    def _restricted(config: dict[str, Any]) -> list[tuple[str, str]]:
        """(key, permission) for each option set here that needs a permission the caller lacks."""
        who = context.caller.get()
        found = []
        for key, value in config.items():
            option = options.find(key)
            if option and option.permission and value not in (None, "", False) and not who.holds(option.permission):
                found.append((key, option.permission))
        return found

    # files

    def _starter(self, spec: NewEnvironment) -> Bundle:
        config = self._starter_config(spec)
        uses_lycoris = config.get("--model_type") == "lora" and config.get("--lora_type") == "lycoris"
        dataloaders = {DATALOADER_FILE: self._starter_dataloader(spec.name)}
        return Bundle(config, dataloaders, lycoris.starter() if uses_lycoris else None)

    def _from_example(self, spec: NewEnvironment) -> Bundle:
        example = example_environments.describe(spec.example, self.examples_dir)
        for option_name in ("model_family", "model_type", "lora_type"):
            wanted, actual = getattr(spec, option_name), getattr(example, option_name)
            if wanted and wanted != actual:
                raise InvalidArgument(
                    f"example {example.name} uses {option_name} {actual}; "
                    f"leave {option_name} empty or pick another example",
                    field=option_name,
                )
        bundle = example_environments.instantiate(example.name, spec.name, self.datasets_dir, self.examples_dir)
        if spec.model_flavour:
            bundle.config[spelling(bundle.config, "model_flavour")] = spec.model_flavour
        output_key = spelling(bundle.config, "output_dir")
        output = bundle.config.get(output_key)
        if isinstance(output, str) and output.startswith("output/"):  # the example's outputs go where ours do
            bundle.config[output_key] = self.dirs.output_path(output.removeprefix("output/"))
        if example.self_contained:  # its dataset is drawn here, so the first run needs no upload
            for entry in bundle.dataloaders.get(DATALOADER_FILE, []):
                if entry.get("dataset_type", "image") == "image":
                    write_demo_dataset(Path(entry["instance_data_dir"]))
        return bundle

    def _starter_config(self, spec: NewEnvironment) -> dict[str, Any]:
        family = options.BY_NAME["model_family"]
        if spec.model_family not in family.choices:
            raise InvalidArgument(
                f"unknown model_family {spec.model_family!r}; choose one of {', '.join(family.choices)} "
                "(or start from an example)",
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
            "--output_dir": self.dirs.output_path(spec.name),
            "--data_backend_config": f"{spec.name}/{DATALOADER_FILE}",
        }
        if spec.model_flavour:
            chosen["--model_flavour"] = spec.model_flavour
        if chosen["--model_type"] == "lora":
            chosen["--lora_type"] = spec.lora_type or "standard"
            if chosen["--lora_type"] == "lycoris":
                chosen["--lycoris_config"] = lycoris_path(spec.name)  # the option is only read for lycoris
        return merge(defaults, chosen)

    def _dataloader_name(self, name: str, path: str) -> str:
        """`path` as a file of the environment: `multidatabackend*.json`, or `<name>/multidatabackend*.json`."""
        given = path or DATALOADER_FILE
        parts = given.split("/")
        file = parts[1] if len(parts) == 2 and parts[0] == name else given
        try:
            return dataloader_file(file)
        except InvalidArgument:
            raise InvalidArgument(
                f"{path!r} must be a multidatabackend*.json file inside environment {name}", field="path"
            ) from None

    def _point_at_dataloader(self, name: str, file: str, dataloader: Any) -> None:
        self.store.write_file(name, file, dataloader)
        config = self.store.get(name).config
        config[spelling(config, "data_backend_config")] = f"{name}/{file}"
        self.store.update(name, config, None, None)

    def _store_lycoris(self, name: str, value: Any) -> list[tuple[str, str]]:
        """Write the file; point a config that names no LyCORIS file at it, and warn when the config won't read it."""
        self.store.write_file(name, LYCORIS_FILE, value)
        config = self.store.get(name).config
        bare_config = {bare(key): item for key, item in config.items()}
        warnings = []
        current = bare_config.get("lycoris_config")
        if not current:
            config[spelling(config, "lycoris_config")] = lycoris_path(name)
            self.store.update(name, config, None, None)
        elif validation.resolve_path(str(current), self.store.root, self.dirs.workspace) != (
            self.store.folder(name) / LYCORIS_FILE
        ):
            warnings.append(
                ("lycoris_config", f"the config reads {current}, not this file; set it to {lycoris_path(name)}")
            )
        if bare_config.get("lora_type") != "lycoris":
            warnings.append(("lora_type", "LyCORIS configs are only read when lora_type is lycoris"))
        return warnings

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
            starter_text_embeds(name),
        ]

    def _audit(self, event_type: str, name: str, details: dict[str, Any]) -> None:
        audit.record(self.auth, event_type, "environment", name, details)


def _given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are not None (audit details of an optional change)."""
    return {key: value for key, value in values.items() if value is not None}


def _raise_for(report: validation.Report) -> None:
    """A report with errors as one InvalidArgument naming every field."""
    if report.errors:
        problems = "; ".join(f"{field}: {message}" for field, message in report.errors)
        raise InvalidArgument(f"the LyCORIS config has problems: {problems}", field=report.errors[0][0])
