"""`make run`'s launcher (python -m stack run): a crashed process comes back while the rest
keeps answering, Ctrl-C/SIGTERM stops everything, and nothing outlives a killed launcher.

Each test starts its own launcher on free ports (`--beside`), as a learner's `make run`
would run, and kills its children for real.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stack.processes import ROOT
from tests.stack_fixtures import http_json

START_TIMEOUT = 240


@dataclass
class Launcher:
    process: subprocess.Popen
    ports: dict[str, int]
    pids: dict[str, int]

    def say(self, sender: str, text: str) -> list[str]:
        replies: Any = http_json(
            f"http://127.0.0.1:{self.ports['rasa']}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
        )
        return [reply.get("text") or "" for reply in replies]

    def listening(self, name: str) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.ports[name])) == 0


def wait_until(condition: Any, timeout: float) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {condition}")


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    process = subprocess.Popen(
        [sys.executable, "-m", "stack", "run", "--beside", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    started = None
    while time.monotonic() < deadline and started is None:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("{"):
            started = json.loads(line)
    assert started, "the launcher did not report its ports"
    try:
        yield Launcher(process, started, started["pids"])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def answers(launcher: Launcher, sender: str, text: str, expected: str) -> bool:
    try:
        return any(expected in reply for reply in launcher.say(sender, text))
    except OSError:  # not listening yet, or the connection was reset while it starts
        return False


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting to be reaped has already exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def gone(launcher: Launcher) -> bool:
    return not any(launcher.listening(name) for name in ("rasa", "account", "action"))


def test_a_crashed_child_comes_back_while_rasa_keeps_answering(launcher: Launcher) -> None:
    sender = "supervised-learner"
    assert any("What's going on?" in text for text in launcher.say(sender, "hi"))
    os.killpg(launcher.pids["action-server"], signal.SIGKILL)
    # Rasa still answers: steps need no action server, a turn that does gets the apology.
    assert any("Did that work?" in text for text in launcher.say(sender, "I can't log in"))
    back = wait_until(lambda: launcher.listening("action"), 30)
    print(f"action server back after {back:.1f} s")
    wait_until(lambda: answers(launcher, sender, "ana.silva@example.com", "6-digit code"), 30)

    os.killpg(launcher.pids["account-service"], signal.SIGKILL)
    wait_until(lambda: not launcher.listening("account"), 10)
    back = wait_until(lambda: launcher.listening("account"), 30)
    print(f"account service back after {back:.1f} s")
    assert any("on its way" in text for text in launcher.say(sender, "yes, send the code"))

    os.killpg(launcher.pids["rasa"], signal.SIGKILL)
    wait_until(lambda: not launcher.listening("rasa"), 10)
    # The conversation resumes from the tracker store: the code just sent is still awaited.
    back = wait_until(lambda: answers(launcher, sender, "000000", "doesn't match"), 180)
    print(f"Rasa answering again after {back:.1f} s")


def test_sigterm_stops_everything(launcher: Launcher) -> None:
    launcher.process.send_signal(signal.SIGTERM)
    launcher.process.wait(timeout=60)
    wait_until(lambda: gone(launcher), 20)


def test_nothing_outlives_a_killed_launcher(launcher: Launcher) -> None:
    launcher.process.kill()
    launcher.process.wait(timeout=10)
    wait_until(lambda: gone(launcher), 20)
    wait_until(lambda: not any(alive(pid) for pid in launcher.pids.values()), 20)
