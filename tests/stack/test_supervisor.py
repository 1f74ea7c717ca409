"""`make run`'s launcher (python -m stack run): supervisord restarts a crashed program while
the rest keeps answering, Ctrl-C/SIGTERM stops everything, and nothing outlives a killed
launcher or a killed supervisord.

Each test starts its own launcher on free ports (`--beside`), as a learner's `make run`
would run, and kills its programs for real.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import http_json
from stack.processes import ROOT
from stack.supervisor import Supervisor

START_TIMEOUT = 240


@dataclass
class Launcher:
    process: subprocess.Popen
    ports: dict[str, int]
    pids: dict[str, int]
    supervisor: Supervisor

    def say(self, sender: str, text: str) -> list[str]:
        replies: Any = http_json(
            f"http://127.0.0.1:{self.ports['rasa']}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
        )
        return [reply.get("text") or "" for reply in replies]

    def listening(self, name: str) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.ports[name])) == 0


def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {condition}")


@contextmanager
def launched(var_dir: Path) -> Iterator[Launcher]:
    """`python -m stack run --beside var_dir`, stopped with Ctrl-C at the end if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stack", "run", "--beside", str(var_dir)],
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
        yield Launcher(process, started, started["pids"], Supervisor(var_dir))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    with launched(tmp_path) as started:
        yield started


@pytest.fixture(scope="module")
def crashed_then_stopped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """One launcher for a life that ends with SIGTERM: its programs crash and come back
    first, then it is stopped (the tests below run in this order)."""
    with launched(tmp_path_factory.mktemp("launcher")) as started:
        yield started


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
    return not any(launcher.listening(name) for name in ("rasa", "account", "action", "web"))


def crash(launcher: Launcher, name: str, port: str) -> float:
    """SIGKILLs a program's process group; seconds until its port answers again."""
    os.killpg(launcher.supervisor.pid(name), signal.SIGKILL)
    wait_until(lambda: not launcher.listening(port), 10)
    back = wait_until(lambda: launcher.listening(port), 30)
    print(f"{name} back after {back:.1f} s")
    return back


def test_a_crashed_program_comes_back_while_rasa_keeps_answering(
    crashed_then_stopped: Launcher,
) -> None:
    launcher = crashed_then_stopped
    sender = "supervised-learner"
    assert any("What's going on?" in text for text in launcher.say(sender, "hi"))

    # Action server down: the steps still come (they need no action), a turn that needs an
    # action gets the apology, and answers are normal again once it is back.
    launcher.supervisor.stop("action-server")
    assert any("Did that work?" in text for text in launcher.say(sender, "I can't log in"))
    assert launcher.say(sender, "ana.silva@example.com") == [TROUBLE_REPLY]
    launcher.supervisor.start("action-server")
    crash(launcher, "action-server", "action")
    wait_until(lambda: answers(launcher, sender, "ana.silva@example.com", "6-digit code"), 30)

    crash(launcher, "account-service", "account")
    assert any("on its way" in text for text in launcher.say(sender, "yes, send the code"))

    crash(launcher, "web", "web")
    page = f"http://127.0.0.1:{launcher.ports['web']}/health"
    wait_until(lambda: http_json(page) is not None, 10)

    os.killpg(launcher.supervisor.pid("rasa"), signal.SIGKILL)
    wait_until(lambda: not launcher.listening("rasa"), 10)
    # The conversation resumes from the tracker store: the code just sent is still awaited.
    back = wait_until(lambda: answers(launcher, sender, "000000", "doesn't match"), 180)
    print(f"Rasa answering again after {back:.1f} s")


def test_sigterm_stops_everything(crashed_then_stopped: Launcher) -> None:
    """Every program goes, the ones started at launch and the ones restarted since."""
    launcher = crashed_then_stopped
    pids = [*launcher.pids.values(), *map(launcher.supervisor.pid, launcher.pids)]
    launcher.process.send_signal(signal.SIGTERM)
    # A hang guard, not a timing: supervisord may give each of the four programs its
    # stopwaitsecs (15 s) in turn on busy cores.
    launcher.process.wait(timeout=120)
    wait_until(lambda: gone(launcher), 20)
    assert not any(alive(pid) for pid in pids)


@pytest.mark.parametrize("victim", ["launcher", "supervisord"])
def test_nothing_outlives_a_killed_supervisor(launcher: Launcher, victim: str) -> None:
    supervisord = launcher.supervisor.supervisord_pid()
    assert supervisord is not None
    os.kill(launcher.process.pid if victim == "launcher" else supervisord, signal.SIGKILL)
    wait_until(lambda: gone(launcher), 30)
    wait_until(lambda: not any(alive(pid) for pid in [*launcher.pids.values(), supervisord]), 30)
    launcher.process.wait(timeout=30)
