"""One running stack: its settings, its programs, and starting/stopping them under supervisord."""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from stack import secrets
from stack.supervisor import Program, Supervisor, http_ready

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


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


# Serving settings measured by `make bench` (docs/performance.md); set unless already set.
SPEED_ENV: dict[str, str] = {
    # No usage reporting or crash uploads: they try the network at start and on errors.
    "RASA_TELEMETRY_ENABLED": "false",
}


def account_service_command(port: int, var_dir: Path, host: str = "127.0.0.1") -> list[str]:
    """The account service on `host` with its SQLite database in `var_dir`."""
    return [
        *(sys.executable, "-m", "account_service", "--host", host),
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
    # The demo mailbox (the account service's /outbox and the page's proxy to it).
    demo_mode: bool = True
    account_timeout: float = 3.0
    cors_origins: tuple[str, ...] = ("http://localhost:8080", "http://127.0.0.1:8080")
    enable_api: bool = False
    api_token: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # Set for the action server only (e.g. the account service behind a fault injector).
    action_server_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # None: var_dir/logs
    web_port: int | None = None  # demo page with the chat widget (web/server.py); None: not started
    # Speed settings for serving (see docs/performance.md); False runs Rasa's defaults.
    tuned: bool = True
    # Addresses whose X-Forwarded-For the channels believe (a proxy in front). Simulated
    # learners name their own address there, so stacks under simulated load trust localhost.
    trusted_proxies: tuple[str, ...] = ()
    # Multiplies the account service's abuse limits (account_service/limits.py); 1 except
    # where many tests share the same few demo accounts.
    limits_scale: float = 1.0

    @classmethod
    def on_free_ports(cls, var_dir: Path, **overrides: object) -> StackConfig:
        """A stack that can run beside another one (tests, benchmarks), for simulated learners
        on this machine (each named by its own X-Forwarded-For)."""
        ports = {
            "account_port": free_port(),
            "action_port": free_port(),
            "rasa_port": free_port(),
        }
        local = {"trusted_proxies": ("127.0.0.1",)}
        return cls(var_dir=var_dir, **{**ports, **local, **overrides})  # type: ignore[arg-type]

    @cached_property
    def secrets(self) -> dict[str, str]:
        """This stack's keys and tokens, from the environment or var_dir/secrets.env."""
        return secrets.load(self.var_dir, secrets.STACK_SECRETS)

    @property
    def secrets_path(self) -> Path:
        return secrets.secrets_path(self.var_dir)

    @property
    def api_key(self) -> str:
        return self.secrets["ACCOUNT_SERVICE_API_KEY"]

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
    def logs(self) -> Path:
        return self.log_dir or self.var_dir / "logs"

    @property
    def endpoints_path(self) -> Path:
        return self.var_dir / "endpoints.yml"

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "tracker.db"

    def environment(self) -> dict[str, str]:
        """What every program is given: the same settings and secrets for all of them."""
        env = dict(os.environ)
        env.update(self.secrets)
        env.update(
            {
                "ACCOUNT_SERVICE_URL": self.account_url,
                "ACCOUNT_SERVICE_TIMEOUT": str(self.account_timeout),
                "DEMO_MODE": "1" if self.demo_mode else "0",
                "TRUSTED_PROXIES": ",".join(self.trusted_proxies),
                "ACCOUNT_LIMITS_SCALE": str(self.limits_scale),
                "SANIC_HOST": "127.0.0.1",
                # A stopping server waits this long for open requests (Sanic's default is 15
                # s, supervisord's own wait): a turn takes well under it, while a widget's
                # idle long-poll would hold it to the end. A lost turn is sent again.
                "SANIC_GRACEFUL_SHUTDOWN_TIMEOUT": "5",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.web_port is not None:  # the replies' links open the demo page's help pages
            env.setdefault("HELP_CENTER_URL", f"{self.web_url}/help")
        if self.tuned:
            for name, value in SPEED_ENV.items():
                env.setdefault(name, value)
        env.update(self.extra_env)
        return env

    def write_endpoints(self) -> Path:
        """Endpoints for this stack: its action server and its own SQLite tracker store."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        path = self.endpoints_path
        # Tuned: the same table and rows, without replaying each conversation per message
        # (rasa_addons/tracker_store.py).
        store_type = "rasa_addons.tracker_store.CachedSQLTrackerStore" if self.tuned else "SQL"
        path.write_text(
            "action_endpoint:\n"
            f"  url: {self.action_url}\n"
            "tracker_store:\n"
            f"  type: {store_type}\n"
            "  dialect: sqlite\n"
            f"  db: {self.tracker_db}\n"
            "nlg:\n"
            "  type: rasa_addons.links.LinkedResponseGenerator\n"
        )
        if self.tuned:
            # Write-ahead logging: one sync per turn instead of several; the mode is stored
            # in the database file, so Rasa's own connections use it too.
            with closing(sqlite3.connect(self.tracker_db)) as database:
                database.execute("PRAGMA journal_mode=WAL")
        return path


class Stack:
    """The stack's programs under one supervisord: started in dependency order, each
    restarted when it exits, all stopped together."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.supervisor = Supervisor(config.var_dir, config.logs, cwd=ROOT)

    def programs(self) -> list[Program]:
        config = self.config
        programs = [
            Program(
                "account-service",
                account_service_command(config.account_port, config.var_dir),
                http_ready(f"{config.account_url}/health"),
                ready_timeout=30,
                port=config.account_port,
            ),
            Program(
                "action-server",
                [str(BIN / "rasa"), "run", "actions", "--actions", "actions"]
                + ["--port", str(config.action_port)],
                http_ready(f"http://127.0.0.1:{config.action_port}/health"),
                ready_timeout=90,
                port=config.action_port,
                env=config.action_server_env,
            ),
            Program(
                "rasa",
                self.rasa_command(),
                http_ready(f"{config.rasa_url}/webhooks/rest/"),
                ready_timeout=180,
                port=config.rasa_port,
                start_seconds=5,
            ),
        ]
        if config.web_port is not None:
            command = [sys.executable, "-m", "web.server", "--port", str(config.web_port)]
            programs.append(
                Program(
                    "web",
                    [*command, "--rasa-url", config.rasa_url]
                    # /insights reads the tracker store and the account service's tickets.
                    + ["--tracker-db", str(config.tracker_db)]
                    + ["--accounts-db", str(config.var_dir / "accounts.db")],
                    http_ready(f"http://127.0.0.1:{config.web_port}/health"),
                    ready_timeout=30,
                    port=config.web_port,
                )
            )
        return programs

    def rasa_command(self) -> list[str]:
        config = self.config
        # The tuned stack runs Rasa through rasa_addons.server (action responses are
        # checked with a validator built once); the untuned one runs plain `rasa`.
        launcher = (
            [sys.executable, "-m", "rasa_addons.server"] if config.tuned else [str(BIN / "rasa")]
        )
        command = [
            *launcher,
            "run",
            "--model",
            str(config.model),
            "--endpoints",
            str(config.endpoints_path),
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

    def start(self, names: Sequence[str] | None = None) -> Stack:
        """Starts the programs (all, or those named) one after the other, each once the
        one before answers; on failure everything started is stopped again."""
        programs = self.programs()
        if names is not None:
            programs = [program for program in programs if program.name in names]
        self.config.write_endpoints()
        self.supervisor.write_config(programs)
        self.supervisor.check_ports()
        self.supervisor.launch(self.config.environment())
        try:
            self.supervisor.start_in_order([[program.name] for program in programs])
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.supervisor.shutdown()

    def pids(self) -> dict[str, int]:
        return {name: self.supervisor.pid(name) for name in self.supervisor.programs}


@contextmanager
def running(config: StackConfig) -> Iterator[Stack]:
    stack = Stack(config).start()
    try:
        yield stack
    finally:
        stack.stop()
