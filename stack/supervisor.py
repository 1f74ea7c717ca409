"""Every process of the assistant runs under supervisord, driven by a generated config.

One job here: turn a list of programs into a supervisord configuration, start them in
order (each waits until the one before answers), and control them over supervisord's
XML-RPC socket. `make run`, `make shell`, the tests and `make cluster` all use it.

What supervisord gives: a crashed program is started again at once; one that keeps
crashing during start-up waits 1 s, 2 s, 3 s … between tries (its BACKOFF state);
stopping stops every program's process group, the last started first. What it does not
give, added here: each program is wrapped in `setpriv --pdeathsig TERM`, so the kernel
stops it when supervisord dies, even by SIGKILL; and start-up order with readiness checks.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from supervisor.xmlrpc import SupervisorTransport

SUPERVISORD = Path(sys.executable).parent / "supervisord"
# What a call over supervisord's socket raises when supervisord is gone or going.
RPC_ERRORS = (OSError, http.client.HTTPException, xmlrpc.client.Error)
# Start-up tries before supervisord gives a program up (FATAL); with its linear back-off
# that is about two minutes of retrying.
START_RETRIES = 15
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Runs in a child before exec: the kernel sends it SIGTERM when its parent dies,
    however it dies (even SIGKILL)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class http_ready:  # noqa: N801 - used as a function: Program(..., http_ready(url))
    """A readiness check: `url` answers with a 2xx status (the URL kept for whoever needs
    to know what a program is waited for by, such as the deployment checks)."""

    url: str

    def __call__(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False


def port_ready(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    """A readiness check: something accepts connections on `host`:`port`."""

    def check() -> bool:
        with socket.socket() as probe:
            probe.settimeout(2)
            return probe.connect_ex((host, port)) == 0

    return check


@dataclass
class Program:
    """One supervised process and how to tell that it is ready."""

    name: str
    command: list[str]
    ready: Callable[[], bool]
    ready_timeout: float = 60.0
    port: int | None = None  # checked to be free before anything starts
    # Seconds it must stay up to count as started; an earlier exit counts as a failed try.
    start_seconds: int = 2
    stop_signal: str = "TERM"
    user: str | None = None
    # Runs once the program is ready, before the next one starts (e.g. create a database).
    after_ready: Callable[[], None] | None = None
    # Set on top of what supervisord passes on (its own environment).
    env: dict[str, str] = field(default_factory=dict)

    def section(self, log_dir: Path, priority: int, cwd: Path) -> str:
        command = shlex.join(["setpriv", "--pdeathsig", "TERM", "--", *self.command])
        lines = [
            f"[program:{self.name}]",
            f"command={_escape(command)}",
            f"directory={_escape(str(cwd))}",
            "autostart=false",
            "autorestart=true",
            f"startsecs={self.start_seconds}",
            f"startretries={START_RETRIES}",
            f"stopsignal={self.stop_signal}",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_escape(str(log_dir / f'{self.name}.log'))}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=2",
            f"priority={priority}",
        ]
        if self.user:
            lines.append(f"user={self.user}")
        if self.env:
            pairs = (f'{key}="{_quoted(value)}"' for key, value in self.env.items())
            lines.append(f"environment={','.join(pairs)}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """supervisord expands %(name)s in values: a literal % is written %%."""
    return value.replace("%", "%%")


def _quoted(value: str) -> str:
    """A value inside supervisord's `environment=KEY="value"` list."""
    if '"' in value or "\n" in value:
        raise ValueError(f"cannot pass {value!r} through supervisord's environment line")
    return _escape(value)


class Supervisor:
    """A supervisord instance whose files (config, socket, pid, logs) live in `home`."""

    def __init__(self, home: Path, log_dir: Path | None = None, cwd: Path | None = None) -> None:
        self.home = home
        self.log_dir = log_dir or home / "logs"
        self.cwd = cwd or Path.cwd()
        self.config_path = home / "supervisord.conf"
        self.socket_path = home / "supervisor.sock"
        self.process: subprocess.Popen | None = None
        self.programs: dict[str, Program] = {}
        # When each program was last found ready (time.monotonic()), for start-up figures.
        self.ready_at: dict[str, float] = {}

    # -- configuration ---------------------------------------------------------------------

    def write_config(self, programs: Sequence[Program]) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        header = (
            "[unix_http_server]\n"
            f"file={_escape(str(self.socket_path))}\n"
            "chmod=0700\n\n"
            "[supervisord]\n"
            "nodaemon=true\n"
            f"logfile={_escape(str(self.log_dir / 'supervisord.log'))}\n"
            f"pidfile={_escape(str(self.home / 'supervisord.pid'))}\n"
            f"childlogdir={_escape(str(self.log_dir))}\n"
            "loglevel=info\n"
            "minfds=1024\n\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            "[supervisorctl]\n"
            f"serverurl=unix://{_escape(str(self.socket_path))}\n\n"
        )
        sections = [
            program.section(self.log_dir, priority=10 * (index + 1), cwd=self.cwd)
            for index, program in enumerate(programs)
        ]
        self.config_path.write_text(header + "\n".join(sections))
        self.programs = {program.name: program for program in programs}
        return self.config_path

    # -- supervisord itself ----------------------------------------------------------------

    def launch(self, env: dict[str, str], detached: bool = False) -> None:
        """Starts supervisord; programs inherit `env`. Attached, it dies with this process;
        detached, it outlives it (`make cluster`) and is stopped over its socket."""
        if shutil.which("setpriv") is None:
            raise RuntimeError("setpriv (Debian package util-linux) is missing.")
        self.socket_path.unlink(missing_ok=True)
        with (self.log_dir / "supervisord.err").open("ab") as errors:
            self.process = subprocess.Popen(
                [str(SUPERVISORD), "--configuration", str(self.config_path)],
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
                preexec_fn=None if detached else die_with_parent,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"supervisord exited with code {self.process.returncode}; "
                    f"see {self.log_dir / 'supervisord.err'}"
                )
            if self.is_up():
                return
            time.sleep(0.1)
        raise TimeoutError("supervisord did not open its socket within 30 s")

    @property
    def rpc(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.socket_path}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def is_up(self) -> bool:
        try:
            return bool(self.rpc.getState()["statename"] == "RUNNING")
        except RPC_ERRORS:
            return False

    def shutdown(self, timeout: float = 60) -> None:
        """Stops every program (the last started first), then supervisord."""
        pid = self.supervisord_pid()
        try:
            self.rpc.shutdown()
        except RPC_ERRORS:
            pass
        deadline = time.monotonic() + timeout
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            if self.process is not None:
                self.process.poll()
            time.sleep(0.1)
        if pid is not None and _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def supervisord_pid(self) -> int | None:
        if self.process is not None:
            return self.process.pid
        try:
            return int(self.rpc.getPID())
        except RPC_ERRORS:
            return None

    # -- programs --------------------------------------------------------------------------

    def check_ports(self) -> None:
        """Fails before anything starts when another program holds one of the ports."""
        taken = [
            f"{program.port} ({program.name})"
            for program in self.programs.values()
            if program.port is not None and port_ready(program.port)()
        ]
        if taken:
            raise RuntimeError(
                f"ports in use: {', '.join(taken)} (is the assistant already running?)"
            )

    def start_in_order(self, stages: Sequence[Sequence[str]]) -> None:
        """Starts each stage's programs together and waits until they are all ready."""
        for stage in stages:
            for name in stage:
                self.rpc.startProcess(name, False)
            for name in stage:
                self.wait_ready(name)

    def wait_ready(self, name: str) -> None:
        """Waits until supervisord runs `name` and, for a program this object configured,
        until its readiness check passes (one only attached to the socket cannot check)."""
        program = self.programs.get(name)
        timeout = program.ready_timeout if program else 60.0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(name)
            if state == "FATAL":
                raise RuntimeError(f"{name} keeps crashing; see {self.log_dir / name}.log")
            # A program that answers is ready, even before supervisord's `startsecs` passed.
            answers = (
                state == "RUNNING"
                if program is None
                else (state in ("STARTING", "RUNNING") and program.ready())
            )
            if answers:
                if program is not None and program.after_ready is not None:
                    program.after_ready()
                self.ready_at[name] = time.monotonic()
                return
            time.sleep(0.2)
        raise TimeoutError(f"{name} was not ready within {timeout:.0f} s")

    def info(self, name: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.rpc.getProcessInfo(name))

    def state(self, name: str) -> str:
        return str(self.info(name)["statename"])

    def pid(self, name: str) -> int:
        return int(self.info(name)["pid"])

    def states(self) -> dict[str, str]:
        return {info["name"]: info["statename"] for info in self.rpc.getAllProcessInfo()}

    def kill(self, name: str) -> None:
        """A crash: SIGKILL for the program's whole process group; supervisord restarts it."""
        os.killpg(self.pid(name), signal.SIGKILL)

    def stop(self, name: str) -> None:
        """Stops a program for good (until `start`)."""
        try:
            self.rpc.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise

    def start(self, name: str) -> None:
        """Starts a stopped program and waits until it is ready."""
        try:
            self.rpc.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise
        self.wait_ready(name)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
