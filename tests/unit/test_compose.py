"""docker-compose.yml agrees with the code: commands, settings variables, ports, addresses, volumes, dependencies."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from simpletuner.libs.cli.main import SERVABLE
from simpletuner.libs.settings import SERVICES, StackSettings
from simpletuner.services.auth.settings import AuthSettings
from simpletuner.services.config.settings import ConfigSettings
from simpletuner.services.gateway.settings import GatewaySettings
from simpletuner.services.scheduler.settings import SchedulerSettings
from simpletuner.services.trainer.settings import TrainerSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

SETTINGS: dict[str, type[BaseSettings]] = {
    "auth": AuthSettings,
    "config": ConfigSettings,
    "scheduler": SchedulerSettings,
    "trainer": TrainerSettings,
    "gateway": GatewaySettings,
}


def env_names(settings: type[BaseSettings]) -> set[str]:
    """The variables a settings class reads: its env prefix plus each field (nested settings read their own)."""
    prefix = settings.model_config.get("env_prefix", "")
    return {
        f"{prefix}{name}".upper()
        for name, field in settings.model_fields.items()
        if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings))
    }


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's environment as a mapping, whether written as a mapping or a KEY=value list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def dependencies(service: dict[str, Any]) -> dict[str, str]:
    """depends_on as {target: condition}; the short list form means service_started."""
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()}


def volume_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each mount; the source is '' for an anonymous volume."""
    mounts = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            mounts.append((str(entry.get("source", "")), str(entry["target"])))
        else:
            parts = str(entry).split(":")
            mounts.append((parts[0], parts[1]) if len(parts) > 1 else ("", parts[0]))
    return mounts


def is_named_volume(source: str) -> bool:
    return bool(source) and not source.startswith(("/", ".", "~")) and "/" not in source


def published_container_ports(service: dict[str, Any]) -> list[int]:
    """The container side of each `ports` entry (short "[ip:][host:]container[/proto]" or long form)."""
    ports = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.append(int(entry["target"]))
        else:
            ports.append(int(str(entry).rsplit(":", 1)[-1].split("/")[0]))
    return ports


def field_default(settings: type[BaseSettings], name: str) -> Any:
    return settings.model_fields[name].default


def listening_port(name: str, service: dict[str, Any]) -> int:
    """The port a simpletuner process listens on in its container: its PORT variable, else the code's default."""
    settings = SETTINGS[name]
    variable = f"{settings.model_config['env_prefix']}PORT"
    return int(environment(service).get(variable, field_default(settings, "port")))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def simpletuner_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The compose services that run a simpletuner process (those built from this repository)."""
    built = {name: service for name, service in services.items() if "build" in service}
    assert built, "no compose service builds the simpletuner image"
    return built


def test_every_servable_process_has_a_compose_service_that_serves_it(services: dict[str, dict[str, Any]]) -> None:
    assert set(SERVABLE) == {*SERVICES, "gateway"}
    for name in SERVABLE:
        assert name in services, f"docker-compose.yml has no `{name}` service"
        assert services[name].get("command") == ["serve", name]


def test_every_simpletuner_service_is_one_the_code_can_serve(simpletuner_services: dict[str, dict[str, Any]]) -> None:
    assert set(simpletuner_services) <= set(SERVABLE)


def test_every_simpletuner_service_builds_from_a_dockerfile_whose_entrypoint_is_the_simpletuner_command(
    simpletuner_services: dict[str, dict[str, Any]],
) -> None:
    for name, service in simpletuner_services.items():
        build = service["build"]
        build = {"context": build} if isinstance(build, str) else build
        context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
        path = (COMPOSE_FILE.parent / context / dockerfile).resolve()
        assert path.is_file(), f"{name} builds from {path}, which does not exist"
        entrypoints = re.findall(r"^ENTRYPOINT\s+(\[.*\])\s*$", path.read_text(), flags=re.MULTILINE)
        assert entrypoints, f"{path} has no exec-form ENTRYPOINT"
        assert json.loads(entrypoints[-1]) == ["simpletuner"], f"`serve {name}` needs that entrypoint"


def test_the_dockerfile_installs_the_sources_the_package_is_built_from() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = " ".join(re.findall(r"^COPY\s+(.*)$", dockerfile, flags=re.MULTILINE))
    for needed in ("pyproject.toml", "setup.py", "README.md", "libs", "services", "protos"):
        assert re.search(rf"(^|\s){re.escape(needed)}(\s|$)", copied), f"the Dockerfile does not COPY {needed}"


def test_every_simpletuner_variable_in_compose_is_a_field_of_that_process_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    shared = env_names(StackSettings)
    for name, service in services.items():
        valid = env_names(SETTINGS[name]) | shared if name in SETTINGS else set()
        unknown = {key for key in environment(service) if key.startswith("SIMPLETUNER_")} - valid
        assert not unknown, f"{name} sets variables no settings class of its process reads: {sorted(unknown)}"


def test_every_simpletuner_process_listens_on_all_interfaces_inside_its_container(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in (*SERVICES, "gateway"):
        variable = f"{SETTINGS[name].model_config['env_prefix']}HOST"
        host = environment(services[name]).get(variable, field_default(SETTINGS[name], "host"))
        assert host == "0.0.0.0", f"{name} listens on {host}, unreachable from other containers"


def test_each_service_listens_on_the_port_every_other_container_and_the_gateway_address_it_by(
    services: dict[str, dict[str, Any]], simpletuner_services: dict[str, dict[str, Any]]
) -> None:
    assert "gateway" in simpletuner_services
    for name in SERVICES:
        port = listening_port(name, services[name])
        variable = f"SIMPLETUNER_{name.upper()}_ADDRESS"
        assert variable in environment(services["gateway"]), f"the gateway has no {variable}"
        for client, service in simpletuner_services.items():
            address = environment(service).get(variable)
            if address is None:
                continue
            host, _, client_port = address.rpartition(":")
            assert host == name, f"{client}'s {variable}={address} does not name the `{name}` compose service"
            assert int(client_port) == port, f"{client}'s {variable}={address} but {name} listens on {port}"


def test_the_gateway_publishes_the_port_it_listens_on(services: dict[str, dict[str, Any]]) -> None:
    published = published_container_ports(services["gateway"])
    assert published, "the gateway publishes no port"
    assert set(published) == {listening_port("gateway", services["gateway"])}


def test_no_grpc_service_publishes_a_host_port_so_each_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    for name in SERVICES:
        assert not services[name].get("ports"), f"{name} publishes a host port; --scale {name}=2 would collide"
        assert "container_name" not in services[name], f"{name} has a fixed container_name; it cannot be scaled"


def test_every_depends_on_target_is_a_service_in_the_file(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        missing = set(dependencies(service)) - set(services)
        assert not missing, f"{name} depends on services that do not exist: {sorted(missing)}"


def test_every_service_waited_on_until_healthy_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, condition in dependencies(service).items():
            if condition == "service_healthy" and target in services:  # unknown targets: the test above
                assert (services[target].get("healthcheck") or {}).get("test"), f"{name} waits on {target}'s health"


def test_every_simpletuner_service_waits_for_a_healthy_bus_and_database(
    simpletuner_services: dict[str, dict[str, Any]],
) -> None:
    for name, service in simpletuner_services.items():
        depends = dependencies(service)
        assert depends.get("nats") == "service_healthy", f"{name} does not wait for a healthy nats"
        assert depends.get("postgres") == "service_healthy", f"{name} does not wait for a healthy postgres"


def test_the_gateway_waits_for_every_grpc_service(services: dict[str, dict[str, Any]]) -> None:
    depends = dependencies(services["gateway"])
    assert {name: depends.get(name) for name in SERVICES} == dict.fromkeys(SERVICES, "service_healthy")


def test_every_named_volume_a_service_mounts_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for source, _target in volume_mounts(service):
            if is_named_volume(source):
                assert source in declared, f"{name} mounts volume `{source}`, which is not declared"


def test_every_simpletuner_service_shares_one_named_volume_at_its_workspace(
    simpletuner_services: dict[str, dict[str, Any]],
) -> None:
    sources = set()
    for name, service in simpletuner_services.items():
        workspace = environment(service).get("SIMPLETUNER_WORKSPACE")
        assert workspace, f"{name} does not set SIMPLETUNER_WORKSPACE"
        mounted = {source for source, target in volume_mounts(service) if target == workspace}
        assert mounted and all(map(is_named_volume, mounted)), f"{name} mounts no named volume at {workspace}"
        sources |= mounted
    assert len(sources) == 1, f"the services keep their workspace in different volumes: {sorted(sources)}"


def test_every_simpletuner_service_reaches_the_compose_nats_running_jetstream(
    services: dict[str, dict[str, Any]], simpletuner_services: dict[str, dict[str, Any]]
) -> None:
    for name, service in simpletuner_services.items():
        url = urlsplit(environment(service).get("SIMPLETUNER_NATS_URL", ""))
        assert url.scheme == "nats" and url.hostname in services, f"{name} has no bus URL naming a compose service"
        command = [str(arg) for arg in services[url.hostname].get("command") or []]
        assert {"-js", "--jetstream"} & set(command), f"{url.hostname} does not run NATS with JetStream"
        flags = [i for i, arg in enumerate(command) if arg in ("-p", "--port")]
        nats_port = int(command[flags[-1] + 1]) if flags else 4222
        assert (url.port or 4222) == nats_port, f"{name} looks for NATS on {url.port}, it listens on {nats_port}"


def test_every_simpletuner_service_reaches_the_compose_postgres_with_its_credentials(
    services: dict[str, dict[str, Any]], simpletuner_services: dict[str, dict[str, Any]]
) -> None:
    for name, service in simpletuner_services.items():
        url = urlsplit(environment(service).get("SIMPLETUNER_DATABASE_URL", ""))
        assert url.scheme.startswith("postgresql"), f"{name} does not use PostgreSQL"
        assert url.hostname in services, f"{name}'s database host {url.hostname} is not a compose service"
        db = environment(services[url.hostname])
        assert (url.username, url.password, url.path.lstrip("/"), url.port or 5432) == (
            db["POSTGRES_USER"],
            db["POSTGRES_PASSWORD"],
            db["POSTGRES_DB"],
            5432,
        ), f"{name}'s database URL does not match the {url.hostname} service's user, password and database"


@pytest.mark.parametrize("name", SERVABLE)
def test_every_simpletuner_container_is_probed_with_simpletuner_probe(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    assert services[name]["healthcheck"]["test"] == ["CMD", "simpletuner", "probe", name]
