"""DEMO_MODE: the demo mailbox (every address's mail) exists only in demo mode, and then
only behind the demo page, which adds the key itself. No secret is ever printed or logged.

Demo mode off is checked on a launcher started as `make run DEMO_MODE=0` starts it
(`python -m stack run`, here beside the shared stack on free ports); demo mode on, the
default, on the shared stack.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack.learner import http_json
from stack.processes import ROOT, Stack
from stack.secrets import CLUSTER_SECRETS, STACK_SECRETS, secrets_path, stored
from tests.faults.test_exposure import headers_of, status_of

START_TIMEOUT = 240
ADDRESS = "ana.silva@example.com"


@dataclass
class Launched:
    """A launcher started by a test: its ports, its var_dir and all it printed."""

    process: subprocess.Popen
    ports: dict[str, int]
    var_dir: Path
    output: list[str]

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    @property
    def secrets(self) -> dict[str, str]:
        return stored(secrets_path(self.var_dir))


@pytest.fixture(scope="module")
def demo_off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    var_dir = tmp_path_factory.mktemp("demo-off")
    env = {name: value for name, value in os.environ.items() if name not in CLUSTER_SECRETS}
    process = subprocess.Popen(
        [sys.executable, "-m", "stack", "run", "--beside", str(var_dir)],
        cwd=ROOT,
        env={**env, "DEMO_MODE": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in output):
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
    assert any("Press Ctrl-C" in line for line in output), "".join(output)
    ports = json.loads((var_dir / "ports.json").read_text())
    launched = Launched(process, ports, var_dir, output)
    try:
        yield launched
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=90)
        output.append(rest)


def outbox_path(address: str = ADDRESS) -> str:
    return f"/outbox?to={urllib.parse.quote(address)}"


def test_without_demo_mode_there_is_no_outbox_anywhere(demo_off: Launched) -> None:
    key = demo_off.secrets["ACCOUNT_SERVICE_API_KEY"]
    assert status_of(demo_off.url("account", "/health")) == 200
    assert status_of(demo_off.url("account", outbox_path()), headers={"X-API-Key": key}) == 404
    assert status_of(demo_off.url("web", "/api" + outbox_path())) == 404
    page = urllib.request.urlopen(demo_off.url("web", "/"), timeout=30).read().decode()
    assert "Demo mailbox" not in page and "mailbox.js" not in page
    assert "/widget.js" in page


def test_without_demo_mode_the_assistant_still_answers(demo_off: Launched) -> None:
    token = demo_off.secrets["REST_CHANNEL_TOKEN"]
    replies = http_json(
        demo_off.url("rasa", "/webhooks/rest/webhook"),
        {"sender": "demo-off-learner", "message": "hi"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert any("What's going on?" in (reply.get("text") or "") for reply in replies)


def test_the_secrets_are_private_and_never_printed_or_logged(demo_off: Launched) -> None:
    path = secrets_path(demo_off.var_dir)
    assert path.stat().st_mode & 0o777 == 0o600
    values = list(demo_off.secrets.values())
    assert sorted(demo_off.secrets) == sorted(STACK_SECRETS)
    printed = "".join(demo_off.output)
    assert str(path) in printed
    assert "demo mode: off" in printed
    # Everything the stack wrote: its logs, supervisord's config, the endpoints, the databases.
    written = [file for file in demo_off.var_dir.rglob("*") if file.is_file() and file != path]
    assert any(file.suffix == ".log" for file in written)
    for value in values:
        assert value not in printed
        for file in written:
            assert value.encode() not in file.read_bytes(), file


def test_in_demo_mode_the_page_is_the_browsers_only_way_to_the_outbox(stack: Stack) -> None:
    config = stack.config
    assert config.demo_mode and config.web_port is not None
    page = urllib.request.urlopen(config.web_url, timeout=30).read().decode()
    assert "Demo mailbox" in page
    mails = http_json(f"{config.web_url}/api{outbox_path()}")
    assert isinstance(mails, list)
    direct = f"{config.account_url}{outbox_path()}"
    assert status_of(direct) == 401
    assert status_of(direct, headers={"X-API-Key": config.api_key}) == 200
    # A page cannot read the account service from the browser: no CORS answer for it.
    answer = headers_of(direct, "GET", {"Origin": config.web_url, "X-API-Key": config.api_key})
    assert "access-control-allow-origin" not in answer
