"""docker-compose.yml, Dockerfile and .env.example, checked without a Docker engine.

The compose file is validated against the compose specification's JSON schema, and every
`manhwa ...` it runs (commands and health checks) must parse with the project's own CLI, so a
renamed command or option breaks this test instead of a self-hoster's deployment.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from manhwa.cli import build_parser
from manhwa.config import Settings

from .stack import REPO

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERIGNORE = REPO / ".dockerignore"
APP_SERVICES = ("api", "worker-downloads", "worker-cleanup", "worker-library", "flower")
# `${NAME}`, `${NAME:-default}`, `${NAME:?error}`: compose's interpolation.
_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves the `<<:` merges
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def defaults(text: str) -> str:
    """The value compose would use with no .env: `${X:-d}` → d (required ones get a dummy)."""
    return _VARIABLE.sub(lambda m: m.group(3) if m.group(2) in ("-", ":-") else "x", text)


def as_argv(command: str | list[str]) -> list[str]:
    return [
        defaults(part) for part in (shlex.split(command) if isinstance(command, str) else command)
    ]


def manhwa_commands(services: dict[str, dict[str, Any]]) -> Iterator[tuple[str, list[str]]]:
    """(where, argv after `manhwa`) for every `manhwa ...` a service or health check runs."""
    for name, service in services.items():
        if "command" in service:
            argv = as_argv(service["command"])
            if argv[0] == "manhwa":
                yield f"{name}: command", argv[1:]
        test = service.get("healthcheck", {}).get("test", [])
        if isinstance(test, list) and test[:1] == ["CMD"] and test[1:2] == ["manhwa"]:
            yield f"{name}: healthcheck", as_argv(test[2:])


def parse(argv: list[str], where: str) -> argparse.Namespace:
    try:
        return build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{where}: `manhwa {shlex.join(argv)}` is not a valid manhwa command")


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_the_documented_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"redis", "consumet", *APP_SERVICES}
    assert services["flower"]["profiles"] == ["monitoring"]
    assert all("profiles" not in services[name] for name in set(services) - {"flower"})


def test_every_service_has_a_health_check(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"


def test_every_manhwa_command_exists_in_the_cli(services: dict[str, dict[str, Any]]) -> None:
    seen = dict(manhwa_commands(services))
    assert set(seen) == {
        "api: command",
        "worker-downloads: command",
        "worker-downloads: healthcheck",
        "worker-cleanup: command",
        "worker-cleanup: healthcheck",
        "worker-library: command",
        "worker-library: healthcheck",
        "flower: command",
    }
    for where, argv in seen.items():
        parse(argv, where)


def test_workers_consume_the_celery_queues_and_only_one_runs_the_beat(
    services: dict[str, dict[str, Any]],
) -> None:
    from manhwa.celery_app import make_celery

    known = {queue.name for queue in make_celery(Settings()).conf.task_queues}
    workers = {
        name: parse(as_argv(services[name]["command"])[1:], name)
        for name in ("worker-downloads", "worker-cleanup", "worker-library")
    }
    assert workers["worker-downloads"].queues == "downloads"
    assert workers["worker-cleanup"].queues == "cleanup"
    assert workers["worker-library"].queues == "library"
    consumed = {q for args in workers.values() for q in args.queues.split(",")}
    assert consumed == known, (
        "every queue has a worker, and no worker waits on a queue nobody fills"
    )
    assert [name for name, args in workers.items() if args.beat] == ["worker-cleanup"]


def test_redis_is_private_persistent_and_password_protected(
    services: dict[str, dict[str, Any]],
) -> None:
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    assert "ports" not in redis, "Redis must not be published on the host"
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD:?")
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    for name in APP_SERVICES:
        url = services[name]["environment"]["REDIS_URL"]
        assert url.startswith("redis://:${REDIS_PASSWORD:?") and url.endswith("@redis:6379/0")


def test_consumet_is_the_documented_image_and_not_published(
    services: dict[str, dict[str, Any]],
) -> None:
    consumet = services["consumet"]
    assert consumet["image"].split(":")[0] == "riimuru/consumet-api"
    assert "ports" not in consumet
    assert services["api"]["environment"]["MANGAPI_URL"] == "${MANGAPI_URL:-http://consumet:3000}"


def test_app_services_share_one_image_and_the_download_volume(
    services: dict[str, dict[str, Any]], compose: dict[str, Any]
) -> None:
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"] == "." and service["image"] == "manhwa-downloader:latest"
        download_dir = service["environment"]["DOWNLOAD_DIR"]
        assert f"downloads:{download_dir}" in service["volumes"]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "downloads" in compose["volumes"]


def test_settings_set_by_compose_are_real_settings(services: dict[str, dict[str, Any]]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for name in APP_SERVICES:
        unknown = set(services[name]["environment"]) - fields
        assert not unknown, f"{name} sets {unknown}, which no setting reads"


def test_published_ports_default_to_loopback(services: dict[str, dict[str, Any]]) -> None:
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert set(published) == {"api", "flower"}
    for name, ports in published.items():
        for port in ports:
            assert defaults(port).startswith("127.0.0.1:"), f"{name} publishes {port}"


def test_every_compose_variable_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    used = {m.group(1) for m in _VARIABLE.finditer(COMPOSE.read_text())}
    assert used - documented == set()


# --- .env.example, Dockerfile, .dockerignore ---------------------------------------------------


def test_env_example_lists_every_setting() -> None:
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing, f".env.example does not mention {missing}"


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into stages."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    stages: list[list[str]] = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_dockerfile_is_multi_stage_and_runs_as_a_user() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    assert any(re.match(r"FROM node:\S+ AS \w+", stage[0], re.I) for stage in stages[:-1])
    runtime = stages[-1]
    assert re.match(r"FROM python:\S+-slim\S* AS runtime", runtime[0], re.I)
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the runtime runs as a non-root user"
    assert not any("build-essential" in line for line in runtime), "no compiler at runtime"
    assert any(line.upper().startswith("HEALTHCHECK ") for line in runtime)
    assert any("client/dist" in line and "--from=" in line for line in runtime)


def test_dockerfile_command_exists_in_the_cli() -> None:
    cmd = [line for line in dockerfile_stages()[-1] if line.upper().startswith("CMD ")][-1]
    argv = yaml.safe_load(cmd[4:])  # the JSON (exec) form is also YAML
    assert argv[0] == "manhwa"
    parse(argv[1:], "Dockerfile CMD")


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = set(DOCKERIGNORE.read_text().split())
    assert {".env", ".venv", ".git", "client/node_modules", "downloads", ".run"} <= ignored
