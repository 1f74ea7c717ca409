"""Secrets: generated once per var_dir into a private file, reused, overridden by the
environment, and handed to every program; no component has a default key or password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2.extensions
import pytest

from actions.account_client import AccountClient, MissingApiKey
from cluster import nginx
from cluster.config import ClusterConfig
from cluster.processes import Cluster
from stack.processes import ROOT, StackConfig, free_port
from stack.secrets import CLUSTER_SECRETS, STACK_SECRETS, load, secrets_path, stored

OLD_DEFAULTS = ("dev-key", "rasa-dev-password")


@pytest.fixture(autouse=True)
def no_secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLUSTER_SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DEMO_MODE", raising=False)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that takes nothing away: the file's mode must come from the code alone."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_first_start_writes_random_values_to_a_private_file(
    tmp_path: Path, open_umask: None
) -> None:
    first = load(tmp_path / "a", STACK_SECRETS, environ={})
    second = load(tmp_path / "b", STACK_SECRETS, environ={})
    assert mode(secrets_path(tmp_path / "a")) == 0o600
    assert stored(secrets_path(tmp_path / "a")) == first
    assert set(first) == set(STACK_SECRETS)
    assert all(len(value) >= 40 for value in first.values())
    assert len(set(first.values())) == len(STACK_SECRETS)
    assert not set(first.values()) & set(second.values())
    assert not set(first.values()) & set(OLD_DEFAULTS)


def test_later_starts_reuse_the_file(tmp_path: Path) -> None:
    first = load(tmp_path, STACK_SECRETS, environ={})
    written = secrets_path(tmp_path).read_text()
    assert load(tmp_path, STACK_SECRETS, environ={}) == first
    assert secrets_path(tmp_path).read_text() == written


def test_the_environment_wins_and_is_never_written(tmp_path: Path) -> None:
    values = load(tmp_path, STACK_SECRETS, environ={"ACCOUNT_SERVICE_API_KEY": "from-env"})
    assert values["ACCOUNT_SERVICE_API_KEY"] == "from-env"
    assert "from-env" not in secrets_path(tmp_path).read_text()
    assert "ACCOUNT_SERVICE_API_KEY" not in stored(secrets_path(tmp_path))
    # Over a value in the file as well.
    in_file = load(tmp_path, STACK_SECRETS, environ={})["ACCOUNT_SERVICE_API_KEY"]
    again = load(tmp_path, STACK_SECRETS, environ={"ACCOUNT_SERVICE_API_KEY": "other"})
    assert again["ACCOUNT_SERVICE_API_KEY"] == "other"
    assert stored(secrets_path(tmp_path))["ACCOUNT_SERVICE_API_KEY"] == in_file


def test_a_new_name_is_added_and_the_others_kept(tmp_path: Path, open_umask: None) -> None:
    stack = load(tmp_path, STACK_SECRETS, environ={})
    cluster = load(tmp_path, CLUSTER_SECRETS, environ={})
    assert {name: cluster[name] for name in STACK_SECRETS} == stack
    assert cluster["POSTGRES_PASSWORD"] not in stack.values()
    assert mode(secrets_path(tmp_path)) == 0o600


def test_a_file_opened_up_by_hand_is_made_private_again(tmp_path: Path) -> None:
    load(tmp_path, STACK_SECRETS, environ={})
    secrets_path(tmp_path).chmod(0o644)
    load(tmp_path, STACK_SECRETS, environ={})
    assert mode(secrets_path(tmp_path)) == 0o600


def test_every_stack_program_gets_the_secrets_and_the_demo_switch(tmp_path: Path) -> None:
    config = StackConfig.on_free_ports(tmp_path)
    env = config.environment()
    in_file = stored(config.secrets_path)
    assert {name: env[name] for name in STACK_SECRETS} == in_file
    assert config.api_key == in_file["ACCOUNT_SERVICE_API_KEY"]
    assert env["DEMO_MODE"] == "1"
    assert StackConfig.on_free_ports(tmp_path, demo_mode=False).environment()["DEMO_MODE"] == "0"


def test_the_cluster_password_comes_from_the_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.utils.endpoints import read_endpoint_config

    config = ClusterConfig.on_free_ports(tmp_path)
    password = config.postgres_password
    in_file = stored(secrets_path(tmp_path))
    assert password == in_file["POSTGRES_PASSWORD"]
    assert password not in OLD_DEFAULTS
    assert psycopg2.extensions.parse_dsn(config.postgres_dsn)["password"] == password
    env = config.environment()
    assert {name: env[name] for name in CLUSTER_SECRETS} == in_file
    assert config.api_key == in_file["ACCOUNT_SERVICE_API_KEY"]

    # The files the cluster writes name the password without holding it: Rasa reads it
    # from its environment.
    config.save()
    endpoints = Cluster(config).write_endpoints()
    for written in (tmp_path / "cluster.json", endpoints):
        text = written.read_text()
        assert not [value for value in in_file.values() if value in text], written
    monkeypatch.setenv("POSTGRES_PASSWORD", password)
    tracker_store = read_endpoint_config(str(endpoints), "tracker_store")
    assert tracker_store is not None
    assert tracker_store.kwargs["password"] == password


def test_a_password_from_the_environment_survives_the_connection_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "it's a \\ secret")
    config = ClusterConfig.on_free_ports(tmp_path)
    dsn = psycopg2.extensions.parse_dsn(config.postgres_dsn)
    assert dsn["password"] == "it's a \\ secret"
    assert dsn["user"] == config.postgres_user


def test_the_cluster_follows_the_demo_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ClusterConfig.from_env(tmp_path).demo_mode
    monkeypatch.setenv("DEMO_MODE", "0")
    off = ClusterConfig.from_env(tmp_path / "off")
    assert not off.demo_mode
    assert off.environment()["DEMO_MODE"] == "0"
    assert "location ^~ /api/outbox" in nginx.write_conf(off).read_text()
    on = ClusterConfig.on_free_ports(tmp_path / "on")
    assert "/api/outbox" not in nginx.write_conf(on).read_text()
    monkeypatch.setenv("DEMO_MODE", "yes")
    with pytest.raises(ValueError, match="DEMO_MODE must be 1 or 0"):
        ClusterConfig.from_env(tmp_path)


def test_the_action_server_client_has_no_default_key() -> None:
    with pytest.raises(MissingApiKey, match="ACCOUNT_SERVICE_API_KEY is not set"):
        AccountClient.from_env({"ACCOUNT_SERVICE_URL": "http://127.0.0.1:8001"})


def test_the_account_service_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in CLUSTER_SECRETS}
    result = subprocess.run(
        [sys.executable, "-m", "account_service", "--port", str(port)]
        + ["--db", str(tmp_path / "accounts.db")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "ACCOUNT_SERVICE_API_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "accounts.db").exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
