"""The Kubernetes manifests (deploy/kubernetes/): both kustomizations render, every object
passes the Kubernetes API's schemas offline, and they describe what `make hosts` runs:
each setting `make hosts` gives a program and the program reads is set for its container,
each setting a container gets is read, ports and probes agree with the programs, and the
Dockerfile copies what exists."""

from __future__ import annotations

import ast
import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from cluster.config import ClusterConfig
from cluster.processes import Cluster
from deploy.kubernetes import MANIFESTS, TARGETS, objects, render, validate
from stack import secrets
from stack.processes import ROOT
from stack.supervisor import http_ready

# Each program of `make hosts` and the container that runs it: (Deployment, container).
CONTAINER_OF = {
    "rasa-1": ("rasa", "rasa"),
    "action-1": ("actions", "actions"),
    "account-service": ("accounts", "account-service"),
    "web": ("accounts", "web"),
}
# The code each program runs (the packages the Dockerfile copies), and the libraries whose
# sources name the settings they read.
CODE_OF = {
    "rasa-1": ("rasa_addons", "common"),
    "action-1": ("actions", "common"),
    "account-service": ("account_service", "common"),
    "web": ("web", "insights", "common"),
}
LIBRARIES_OF = {"rasa-1": ("rasa",), "action-1": ("rasa_sdk",), "account-service": (), "web": ()}
# Settings read where no source names them: by the interpreter, a C library, or a library
# that reads a whole prefix; by which programs, and why.
READ_UNNAMED: dict[str, tuple[frozenset[str], str]] = {
    "PYTHONUNBUFFERED": (frozenset(CONTAINER_OF), "the Python interpreter"),
    "TF_CPP_MIN_LOG_LEVEL": (
        frozenset({"rasa-1", "action-1"}),
        "TensorFlow's C++ logging: both start through Rasa's command line, which imports it",
    ),
    "SANIC_GRACEFUL_SHUTDOWN_TIMEOUT": (
        frozenset({"rasa-1", "action-1"}),
        "Sanic, which reads every SANIC_* variable into its config",
    ),
    "PGPASSWORD": (
        frozenset({"web"}),
        "PostgreSQL's client library, for /insights, whose database URL has no password "
        "(Rasa's store takes it from the endpoints)",
    ),
}
SITE = Path(yaml.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/kubernetes with a secrets.env of its own, as `make k8s-secrets`
    writes it (the real one is never committed)."""
    copy = tmp_path_factory.mktemp("deploy") / "kubernetes"
    shutil.copytree(MANIFESTS, copy, ignore=shutil.ignore_patterns("secrets.env"))
    secrets.load(copy / "base", secrets.CLUSTER_SECRETS, environ={})
    return copy


@pytest.fixture(scope="module")
def demo(manifests: Path) -> list[dict[str, Any]]:
    return objects(render("overlays/demo", manifests))


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClusterConfig, dict]]:
    """What `make hosts` would run (nothing is started): its config and programs."""
    var_dir = tmp_path_factory.mktemp("hosts")
    config = ClusterConfig.on_free_ports(var_dir, network="10.99.0.0/24", host_prefix="accx")
    with mock.patch.dict(os.environ, clear=True):
        environment = config.environment()
        programs = {program.name: program for program in Cluster(config).programs()}
    yield config, {"environment": environment, "programs": programs}


def find(items: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(item for item in items if item["kind"] == kind and item["metadata"]["name"] == name)


def container(items: list[dict[str, Any]], deployment: str, name: str) -> dict[str, Any]:
    spec = find(items, "Deployment", deployment)["spec"]["template"]["spec"]
    return next(item for item in spec["containers"] if item["name"] == name)


def generated(items: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """A ConfigMap or Secret that kustomize named `name-<hash>`."""
    return next(
        item
        for item in items
        if item["kind"] == kind and re.fullmatch(f"{name}-[a-z0-9]+", item["metadata"]["name"])
    )


def settings_of(items: list[dict[str, Any]], box: dict[str, Any]) -> set[str]:
    """The names of the variables a container is given."""
    names = {entry["name"] for entry in box.get("env", [])}
    for source in box.get("envFrom", []):
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                names |= set(generated(items, kind, source[key]["name"].rsplit("-", 1)[0])["data"])
    return names


@functools.cache
def string_constants(package: str) -> frozenset[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(errors="replace"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return frozenset(found)


@functools.cache
def library_source(library: str) -> str:
    return "\n".join(path.read_text(errors="replace") for path in (SITE / library).rglob("*.py"))


def read_by(program: str, names: set[str]) -> set[str]:
    """Which of `names` the program reads: named in its code or its libraries' sources (as
    a whole string), put into Rasa's endpoints (${NAME}), or read where no source names
    it (READ_UNNAMED)."""
    constants: set[str] = set()
    for package in CODE_OF[program]:
        constants |= string_constants(package)
    library_text = "\n".join(library_source(library) for library in LIBRARIES_OF[program])
    endpoints = (MANIFESTS / "base" / "endpoints.yml").read_text()
    read = set()
    for name in names:
        if (
            name in constants
            or re.search(rf"[\"']{name}[\"']", library_text)
            or (program == "rasa-1" and f"${{{name}}}" in endpoints)
            or program in READ_UNNAMED.get(name, (frozenset(), ""))[0]
        ):
            read.add(name)
    return read


@pytest.mark.parametrize("target", TARGETS)
def test_each_kustomization_renders_and_passes_the_api_schemas(
    manifests: Path, target: str, tmp_path: Path
) -> None:
    rendered = render(target, manifests)
    report = validate(rendered, tmp_path)
    assert report.count(" passed ") == len(objects(rendered)) >= 12


def test_the_schema_check_fails_an_unknown_field(tmp_path: Path) -> None:
    """A misspelt field (`replica`) is refused: the check can fail."""
    wrong = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "wrong"},
        "spec": {
            "replica": 2,
            "selector": {"matchLabels": {"app": "wrong"}},
            "template": {
                "metadata": {"labels": {"app": "wrong"}},
                "spec": {"containers": [{"name": "wrong", "image": "wrong"}]},
            },
        },
    }
    with pytest.raises(RuntimeError, match="replica"):
        validate(yaml.safe_dump(wrong), tmp_path)


def test_the_secret_holds_every_secret_and_none_is_committed(demo: list[dict[str, Any]]) -> None:
    secret = generated(demo, "Secret", "assistant-secrets")
    assert set(secret["data"]) == set(secrets.CLUSTER_SECRETS)
    committed = subprocess.run(
        ["git", "ls-files", "deploy"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [path for path in committed if path.endswith("secrets.env")]


@pytest.mark.parametrize("program", sorted(CONTAINER_OF))
def test_each_setting_a_container_gets_is_read_by_its_program(
    demo: list[dict[str, Any]], program: str
) -> None:
    box = container(demo, *CONTAINER_OF[program])
    given = settings_of(demo, box)
    # Named by the container's own arguments ($(NAME)), as the page's origin.
    given -= {name for name in given if f"$({name})" in " ".join(box.get("args", []))}
    assert given - read_by(program, given) == set()


@pytest.mark.parametrize("program", sorted(CONTAINER_OF))
def test_what_make_hosts_gives_a_program_and_it_reads_is_set_for_its_container(
    demo: list[dict[str, Any]], hosts: tuple[ClusterConfig, dict], program: str
) -> None:
    _, started = hosts
    given = set(started["environment"]) | set(started["programs"][program].env)
    needed = read_by(program, given)
    assert needed - settings_of(demo, container(demo, *CONTAINER_OF[program])) == set()


def arguments(box: dict[str, Any]) -> dict[str, str]:
    words = box.get("args", [])
    return {word: words[index + 1] for index, word in enumerate(words[:-1])}


@pytest.mark.parametrize("program", sorted(CONTAINER_OF))
def test_ports_and_probes_are_the_ones_each_program_opens(
    demo: list[dict[str, Any]], hosts: tuple[ClusterConfig, dict], program: str
) -> None:
    """Each container listens on the port it declares, on every address; its probes ask
    the path `make hosts` waits for on a port it declares, and a Service sends there."""
    box = container(demo, *CONTAINER_OF[program])
    ports = {port["name"]: port["containerPort"] for port in box["ports"]}
    assert [str(port) for port in ports.values()] == [arguments(box)["--port"]]
    listen = arguments(box).get("--host") or arguments(box).get("--interface")
    if listen is None:  # the action server takes its address from SANIC_HOST
        listen = next(entry["value"] for entry in box["env"] if entry["name"] == "SANIC_HOST")
    assert listen == "0.0.0.0"
    _, started = hosts
    readiness = started["programs"][program].ready
    assert isinstance(readiness, http_ready)
    waited_for = readiness.url
    for probe in ("readinessProbe", "livenessProbe"):
        assert box[probe]["httpGet"]["port"] in ports
        assert waited_for.endswith(box[probe]["httpGet"]["path"])
    services = [
        item
        for item in demo
        if item["kind"] == "Service"
        and any(port.get("targetPort") in ports for port in item["spec"].get("ports", []))
        and item["spec"].get("selector", {}).get("app.kubernetes.io/name")
        == CONTAINER_OF[program][0]
    ]
    assert services


def test_rasa_reads_the_stores_make_hosts_gives_it(manifests: Path, hosts: tuple) -> None:
    """The endpoints differ in the hosts' names and ports only."""
    config, _ = hosts
    cluster = Cluster(config)
    local = yaml.safe_load(cluster.write_endpoints().read_text())
    ours = yaml.safe_load((manifests / "base" / "endpoints.yml").read_text())
    for endpoints in (local, ours):
        for section in endpoints.values():
            for key in ("url", "port"):
                section.pop(key, None)
    assert ours == local


def test_the_dockerfile_copies_what_exists_and_runs_as_no_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    sources = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert sources and all((ROOT / source).exists() for source in sources), sources
    assert re.search(r"^USER 10001", dockerfile, re.MULTILINE)
    copied = {source.rstrip("/") for source in sources}
    assert {package for packages in CODE_OF.values() for package in packages} <= copied
