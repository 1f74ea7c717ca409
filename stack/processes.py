"""The processes of one running stack, started in order and stopped together."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_API_KEY = "dev-key"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now and that this process has not handed out before: the
    kernel may offer the same free port twice before the first caller binds it."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def ensure_port_free(port: int, name: str) -> None:
    """Fails clearly when a port is taken, instead of talking to whatever holds it."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(
                f"Port {port} for the {name} is already in use (is the assistant already running?)."
            )


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Runs in each child before exec: the kernel sends it SIGTERM when the launcher dies,
    however it dies (even SIGKILL), so no child outlives the stack that started it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Waits until `url` answers with a 2xx status; fails early if `process` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


# Serving settings measured by `make bench` (docs/performance.md); set unless already set.
SPEED_ENV: dict[str, str] = {
    # No usage reporting or crash uploads: they try the network at start and on errors.
    "RASA_TELEMETRY_ENABLED": "false",
}


def account_service_command(port: int, var_dir: Path) -> list[str]:
    """The account service on localhost with its SQLite database in `var_dir`."""
    return [
        *(sys.executable, "-m", "account_service", "--host", "127.0.0.1"),
        *("--port", str(port), "--db", str(var_dir / "accounts.db")),
    ]


@dataclass
class StackConfig:
    """Ports, files and settings of one stack; defaults are the ones `make run` uses."""

    account_port: int = 8001
    action_port: int = 5055
    rasa_port: int = 5005
    model: Path = ROOT / "models"
    var_dir: Path = ROOT / "var"
    api_key: str = DEFAULT_API_KEY
    account_timeout: float = 3.0
    cors_origins: tuple[str, ...] = ("http://localhost:8080", "http://127.0.0.1:8080")
    enable_api: bool = False
    api_token: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    web_port: int | None = None  # demo page with the chat widget (web/server.py); None: not started
    # Speed settings for serving (see docs/performance.md); False runs Rasa's defaults.
    tuned: bool = True

    @classmethod
    def on_free_ports(cls, var_dir: Path, **overrides: object) -> StackConfig:
        """A stack that can run beside another one (tests, benchmarks)."""
        ports = {
            "account_port": free_port(),
            "action_port": free_port(),
            "rasa_port": free_port(),
        }
        return cls(var_dir=var_dir, **{**ports, **overrides})  # type: ignore[arg-type]

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.account_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}"

    @property
    def web_origins(self) -> tuple[str, ...]:
        if self.web_port is None:
            return ()
        return (self.web_url, f"http://127.0.0.1:{self.web_port}")

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "tracker.db"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "ACCOUNT_SERVICE_URL": self.account_url,
                "ACCOUNT_SERVICE_API_KEY": self.api_key,
                "ACCOUNT_SERVICE_TIMEOUT": str(self.account_timeout),
                "SANIC_HOST": "127.0.0.1",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.tuned:
            for name, value in SPEED_ENV.items():
                env.setdefault(name, value)
        env.update(self.extra_env)
        return env

    def write_endpoints(self) -> Path:
        """Endpoints for this stack: its action server and its own SQLite tracker store."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        path = self.var_dir / "endpoints.yml"
        # Tuned: the same table and rows, without replaying each conversation per message
        # (stack/tracker_store.py).
        store_type = "stack.tracker_store.CachedSQLTrackerStore" if self.tuned else "SQL"
        path.write_text(
            "action_endpoint:\n"
            f"  url: {self.action_url}\n"
            "tracker_store:\n"
            f"  type: {store_type}\n"
            "  dialect: sqlite\n"
            f"  db: {self.tracker_db}\n"
        )
        if self.tuned:
            # Write-ahead logging: one sync per turn instead of several; the mode is stored
            # in the database file, so Rasa's own connections use it too.
            with closing(sqlite3.connect(self.tracker_db)) as database:
                database.execute("PRAGMA journal_mode=WAL")
        return path


class Stack:
    """Starts the three processes in dependency order and stops them all on exit."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log_dir = self.config.log_dir
        output = None
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            output = (log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.config.environment(),
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.processes[name] = process
        return process

    def start_account_service(self) -> None:
        config = self.config
        ensure_port_free(config.account_port, "account service")
        config.var_dir.mkdir(parents=True, exist_ok=True)
        process = self._spawn(
            "account-service", account_service_command(config.account_port, config.var_dir)
        )
        wait_for_http(f"{config.account_url}/health", 30, process)

    def start_action_server(self) -> None:
        ensure_port_free(self.config.action_port, "action server")
        process = self._spawn(
            "action-server",
            [
                str(BIN / "rasa"),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                str(self.config.action_port),
            ],
        )
        wait_for_http(f"http://127.0.0.1:{self.config.action_port}/health", 90, process)

    def rasa_command(self) -> list[str]:
        config = self.config
        # The tuned stack runs Rasa through stack.rasa_server (action responses are
        # checked with a validator built once); the untuned one runs plain `rasa`.
        launcher = (
            [sys.executable, "-m", "stack.rasa_server"] if config.tuned else [str(BIN / "rasa")]
        )
        command = [
            *launcher,
            "run",
            "--model",
            str(config.model),
            "--endpoints",
            str(config.write_endpoints()),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(config.rasa_port),
            "--cors",
            *dict.fromkeys(config.cors_origins + config.web_origins),
        ]
        if config.enable_api:
            command.append("--enable-api")
            if config.api_token:
                command += ["--auth-token", config.api_token]
        return command

    def start_rasa(self) -> None:
        ensure_port_free(self.config.rasa_port, "Rasa server")
        process = self._spawn("rasa", self.rasa_command())
        wait_for_http(f"{self.config.rasa_url}/webhooks/rest/", 180, process)

    def start_web(self) -> None:
        config = self.config
        command = [sys.executable, "-m", "web.server", "--port", str(config.web_port)]
        process = self._spawn("web", [*command, "--rasa-url", config.rasa_url])
        wait_for_http(f"http://127.0.0.1:{config.web_port}/health", 30, process)

    def start(self) -> Stack:
        try:
            self.start_account_service()
            self.start_action_server()
            self.start_rasa()
            if self.config.web_port is not None:
                self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop_process(name)

    def starters(self) -> dict[str, Callable[[], None]]:
        """How to (re)start each process, by the name it runs under."""
        return {
            "account-service": self.start_account_service,
            "action-server": self.start_action_server,
            "rasa": self.start_rasa,
            "web": self.start_web,
        }

    def restart_exited(self, backoff: Backoff) -> list[str]:
        """Starts again every process that has exited, each after its back-off delay.

        Returns the names restarted. A process that keeps crashing waits longer each
        time (Backoff); one that fails to come up is tried again on the next call.
        """
        restarted = []
        for name, process in list(self.processes.items()):
            if process.poll() is None or not backoff.due(name):
                continue
            print(f"{name} exited (code {process.returncode}); restarting.", flush=True)
            try:
                self.stop_process(name)
                self.starters()[name]()
            except (RuntimeError, TimeoutError) as error:
                print(f"{name} did not come back: {error}", flush=True)
                continue
            restarted.append(name)
        return restarted


@dataclass
class Backoff:
    """Delay before restarting a process: 0 s at first, doubling to `longest` while it keeps
    crashing within `settle` seconds of its last restart."""

    longest: float = 30.0
    settle: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _next: dict[str, float] = field(default_factory=dict)
    _delay: dict[str, float] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)

    def due(self, name: str) -> bool:
        now = self.clock()
        if name not in self._next:
            recent = now - self._last.get(name, -self.settle) < self.settle
            delay = min(self._delay.get(name, 0.5) * 2, self.longest) if recent else 0.0
            self._delay[name] = max(delay, 0.5)
            self._next[name] = now + delay
        if now < self._next[name]:
            return False
        del self._next[name]
        self._last[name] = now
        return True


@contextmanager
def running(config: StackConfig) -> Iterator[Stack]:
    stack = Stack(config).start()
    try:
        yield stack
    finally:
        stack.stop()
