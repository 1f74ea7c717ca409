"""Starting and stopping the processes of a cluster; every process has a pid file and a log.

Topology (all on 127.0.0.1): PostgreSQL (tracker store), Redis (lock store), one account
service, N action servers and N Rasa replicas, and nginx in front of both the replicas
(public port) and the action servers (internal port used by the replicas).
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stack.processes import (
    BIN,
    DEFAULT_API_KEY,
    ROOT,
    StackConfig,
    account_service_command,
    free_port,
    wait_for_http,
)

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_VAR_DIR = ROOT / "var" / "cluster"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_ports(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    value = os.environ.get(name)
    return tuple(int(port) for port in value.split(",")) if value else default


@dataclass
class ClusterConfig:
    """Ports and files of one cluster; each default can be changed with a CLUSTER_* variable."""

    var_dir: Path = DEFAULT_VAR_DIR
    nginx_port: int = 6080
    action_lb_port: int = 6055
    rasa_ports: tuple[int, ...] = (6005, 6006)
    action_ports: tuple[int, ...] = (6056, 6057)
    account_port: int = 6001
    postgres_port: int = 6432
    redis_port: int = 6390
    sanic_workers: int = 1
    lock_lifetime: int = 20
    postgres_db: str = "rasa"
    postgres_user: str = "rasa"
    postgres_password: str = "rasa-dev-password"
    api_key: str = DEFAULT_API_KEY
    model: Path = ROOT / "models"
    web_port: int = 6081
    extra_cors: tuple[str, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, var_dir: Path | None = None) -> ClusterConfig:
        defaults = cls()
        return cls(
            var_dir=var_dir or Path(os.environ.get("CLUSTER_VAR_DIR", DEFAULT_VAR_DIR)),
            nginx_port=_env_int("CLUSTER_NGINX_PORT", defaults.nginx_port),
            action_lb_port=_env_int("CLUSTER_ACTION_LB_PORT", defaults.action_lb_port),
            rasa_ports=_env_ports("CLUSTER_RASA_PORTS", defaults.rasa_ports),
            action_ports=_env_ports("CLUSTER_ACTION_PORTS", defaults.action_ports),
            account_port=_env_int("CLUSTER_ACCOUNT_PORT", defaults.account_port),
            postgres_port=_env_int("CLUSTER_POSTGRES_PORT", defaults.postgres_port),
            redis_port=_env_int("CLUSTER_REDIS_PORT", defaults.redis_port),
            sanic_workers=_env_int("CLUSTER_SANIC_WORKERS", defaults.sanic_workers),
            web_port=_env_int("CLUSTER_WEB_PORT", defaults.web_port),
        )

    @classmethod
    def on_free_ports(cls, var_dir: Path, replicas: int = 2, **overrides: object) -> ClusterConfig:
        """A cluster that can run beside anything else (tests, benchmarks)."""
        ports: dict[str, object] = {
            "nginx_port": free_port(),
            "action_lb_port": free_port(),
            "rasa_ports": tuple(free_port() for _ in range(replicas)),
            "action_ports": tuple(free_port() for _ in range(replicas)),
            "account_port": free_port(),
            "postgres_port": free_port(),
            "redis_port": free_port(),
            "web_port": free_port(),
        }
        return cls(var_dir=var_dir, **{**ports, **overrides})  # type: ignore[arg-type]

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def rasa_url(self, replica: int) -> str:
        return f"http://127.0.0.1:{self.rasa_ports[replica]}"

    @property
    def serves_page(self) -> bool:
        """The demo help-center page with the widget, when the project has one."""
        return (ROOT / "web" / "server.py").exists()

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.account_port}"

    @property
    def postgres_dsn(self) -> str:
        return (
            f"host=127.0.0.1 port={self.postgres_port} dbname={self.postgres_db} "
            f"user={self.postgres_user} password={self.postgres_password}"
        )

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return (
            self.public_url,
            f"http://localhost:{self.nginx_port}",
            "http://localhost:8080",
            "http://127.0.0.1:8080",
            *self.extra_cors,
        )

    def save(self) -> None:
        data = {key: value for key, value in asdict(self).items() if key != "extra_env"}
        (self.var_dir / "cluster.json").write_text(json.dumps(data, indent=2, default=str) + "\n")


def postgres_bindir() -> Path:
    """Debian keeps the server binaries out of PATH, one directory per major version."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("postgres")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL is not installed: run `make system-deps`.")


def _postgres_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: then it runs as the `postgres` system user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as missing:
        message = "running as root needs the `postgres` user (Debian package)"
        raise RuntimeError(message) from missing


def _reachable_by(user: pwd.struct_passwd, path: Path) -> bool:
    """Whether `user` may enter every directory above `path`."""
    groups = {
        user.pw_gid,
        *(group.gr_gid for group in grp.getgrall() if user.pw_name in group.gr_mem),
    }
    for directory in path.resolve().parents:
        if not directory.exists():
            continue  # created later by this process, with the usual mode 755
        info = directory.stat()
        if info.st_uid == user.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in groups:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def postgres_home(var_dir: Path) -> Path:
    """PostgreSQL's directory: var_dir/postgres, unless its server user cannot reach it.

    When running as root in a checkout under a private directory (mode 700), the `postgres`
    user cannot enter it; the data then goes to /var/tmp, named after the checkout.
    """
    home = var_dir / "postgres"
    user = _postgres_user()
    if user is None or _reachable_by(user, home):
        return home
    digest = hashlib.sha1(str(home.resolve()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"cluster-postgres-{digest}"


def _wait_for(
    check: Callable[[], bool], what: str, timeout: float, process: subprocess.Popen
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")


def _process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


class Cluster:
    """Starts the processes in dependency order; stops them from their pid files."""

    STOP_SIGNALS = {"postgres": signal.SIGINT, "nginx": signal.SIGTERM}

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        self.pid_dir = config.var_dir / "pids"
        self.log_dir = config.var_dir / "logs"

    # -- files -----------------------------------------------------------------------------

    def write_endpoints(self) -> Path:
        template = string.Template((TEMPLATES / "endpoints.yml.template").read_text())
        path = self.config.var_dir / "endpoints.yml"
        path.write_text(template.substitute(asdict(self.config)))
        return path

    def write_nginx_conf(self) -> Path:
        config = self.config

        def servers(ports: tuple[int, ...], fails: bool = True) -> str:
            extra = " max_fails=1 fail_timeout=5s" if fails else ""
            return "\n".join(f"        server 127.0.0.1:{port}{extra};" for port in ports)

        if config.serves_page:
            address = f"127.0.0.1:{config.web_port}"
            web_upstream = f"\n    upstream web_page {{\n        server {address};\n    }}\n"
            root_location = (
                "            proxy_pass http://web_page;\n"
                "            proxy_set_header Host $host;\n"
                "            proxy_http_version 1.1;"
            )
        else:
            web_upstream = ""
            root_location = (
                "            proxy_pass http://rasa_rest;\n            proxy_http_version 1.1;"
            )
        values = {
            "var_dir": config.var_dir,
            "user_line": "user nobody nogroup;" if os.geteuid() == 0 else "",
            "nginx_port": config.nginx_port,
            "action_lb_port": config.action_lb_port,
            "rest_servers": servers(config.rasa_ports),
            "socketio_servers": servers(config.rasa_ports),
            "action_servers": servers(config.action_ports),
            "web_upstream": web_upstream,
            "root_location": root_location,
        }
        template = string.Template((TEMPLATES / "nginx.conf.template").read_text())
        (config.var_dir / "nginx").mkdir(parents=True, exist_ok=True)
        path = config.var_dir / "nginx.conf"
        path.write_text(template.substitute(values))
        return path

    # -- processes -------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        stack = StackConfig(account_port=self.config.account_port, api_key=self.config.api_key)
        env = stack.environment()
        env.update(self.config.extra_env)
        return env

    def _spawn(
        self,
        name: str,
        command: list[str],
        env: dict[str, str] | None = None,
        user: pwd.struct_passwd | None = None,
    ) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env or self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
            )
        self.processes[name] = process
        (self.pid_dir / f"{name}.pid").write_text(f"{process.pid}\n")
        return process

    def _pid(self, name: str) -> int | None:
        path = self.pid_dir / f"{name}.pid"
        if not path.exists():
            return None
        try:
            return int(path.read_text().split()[0])
        except (ValueError, IndexError):
            return None

    def running_names(self) -> list[str]:
        if not self.pid_dir.exists():
            return []
        names = sorted(path.stem for path in self.pid_dir.glob("*.pid"))
        return [name for name in names if (pid := self._pid(name)) and self._is_ours(pid)]

    @staticmethod
    def _is_ours(pid: int) -> bool:
        """A pid from a file is only trusted while it still leads its own session."""
        try:
            return _process_alive(pid) and os.getsid(pid) == pid
        except ProcessLookupError:
            return False

    def stop_process(self, name: str, kill: bool = False, timeout: float = 20) -> None:
        """Stops one process and everything in its process group; SIGKILL when `kill`."""
        process = self.processes.pop(name, None)
        pid = process.pid if process else self._pid(name)
        if pid is not None and self._is_ours(pid):
            try:
                if kill:
                    os.killpg(pid, signal.SIGKILL)
                elif name in self.STOP_SIGNALS:
                    os.kill(pid, self.STOP_SIGNALS[name])
                else:
                    os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if process is not None:
                    process.poll()
                if not _process_alive(pid) and not _group_alive(pid):
                    break
                time.sleep(0.1)
            else:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if process is not None:
                process.wait()
            while _group_alive(pid):
                time.sleep(0.1)
        (self.pid_dir / f"{name}.pid").unlink(missing_ok=True)

    def kill(self, name: str) -> None:
        """A crash: SIGKILL for the process and its children, no clean shutdown."""
        self.stop_process(name, kill=True)

    # -- PostgreSQL and Redis --------------------------------------------------------------

    def _init_postgres(self, data: Path, user: pwd.struct_passwd | None) -> None:
        config = self.config
        home = data.parent
        home.mkdir(parents=True, exist_ok=True)
        password_file = home / "password"
        password_file.write_text(config.postgres_password + "\n")
        password_file.chmod(0o600)
        if user:
            os.chown(home, user.pw_uid, user.pw_gid)
            os.chown(password_file, user.pw_uid, user.pw_gid)
        subprocess.run(
            [
                str(postgres_bindir() / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                config.postgres_user,
                "--pwfile",
                str(password_file),
                "--auth-host",
                "scram-sha-256",
                "--auth-local",
                "peer",
                "--encoding",
                "UTF8",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        password_file.unlink()

    def start_postgres(self) -> None:
        import psycopg2

        config = self.config
        user = _postgres_user()
        data = postgres_home(config.var_dir) / "data"
        if not (data / "PG_VERSION").exists():
            self._init_postgres(data, user)
        process = self._spawn(
            "postgres",
            [
                str(postgres_bindir() / "postgres"),
                "-D",
                str(data),
                "-p",
                str(config.postgres_port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "max_connections=200",
            ],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            user=user,
        )

        def accepts() -> bool:
            psycopg2.connect(self._dsn("postgres"), connect_timeout=2).close()
            return True

        _wait_for(accepts, "PostgreSQL", 60, process)
        connection = psycopg2.connect(self._dsn("postgres"))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (config.postgres_db,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{config.postgres_db}"')
        connection.close()

    def _dsn(self, database: str) -> str:
        config = self.config
        return (
            f"host=127.0.0.1 port={config.postgres_port} dbname={database} "
            f"user={config.postgres_user} password={config.postgres_password}"
        )

    def start_redis(self) -> None:
        import redis

        config = self.config
        process = self._spawn(
            "redis",
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(config.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(config.var_dir),
            ],
        )
        client = redis.Redis(host="127.0.0.1", port=config.redis_port, socket_timeout=2)
        _wait_for(lambda: bool(client.ping()), "Redis", 30, process)
        client.close()

    # -- the assistant ---------------------------------------------------------------------

    def start_account_service(self) -> None:
        config = self.config
        process = self._spawn(
            "account-service", account_service_command(config.account_port, config.var_dir)
        )
        wait_for_http(f"{config.account_url}/health", 30, process)

    def spawn_action_server(self, index: int) -> subprocess.Popen:
        port = self.config.action_ports[index]
        command = [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)]
        return self._spawn(f"action-{index + 1}", command)

    def start_action_servers(self, indexes: list[int] | None = None) -> None:
        indexes = list(range(len(self.config.action_ports))) if indexes is None else indexes
        started = [(index, self.spawn_action_server(index)) for index in indexes]
        for index, process in started:
            port = self.config.action_ports[index]
            wait_for_http(f"http://127.0.0.1:{port}/health", 120, process)

    def rasa_command(self, index: int) -> list[str]:
        config = self.config
        # The same Rasa launcher as `make run`, with its speed-ups.
        return [
            *(sys.executable, "-m", "stack.rasa_server"),
            "run",
            "--model",
            str(config.model),
            "--endpoints",
            str(config.var_dir / "endpoints.yml"),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(config.rasa_ports[index]),
            "--cors",
            *config.cors_origins,
        ]

    def spawn_rasa(self, index: int) -> subprocess.Popen:
        env = self.environment()
        # More than one Sanic worker per replica is only allowed with a shared lock store.
        env["SANIC_WORKERS"] = str(self.config.sanic_workers)
        env["TICKET_LOCK_LIFETIME"] = str(self.config.lock_lifetime)
        return self._spawn(f"rasa-{index + 1}", self.rasa_command(index), env=env)

    def wait_rasa(self, index: int, process: subprocess.Popen) -> None:
        wait_for_http(f"{self.config.rasa_url(index)}/webhooks/rest/", 300, process)

    def start_rasa(self, indexes: list[int] | None = None) -> None:
        indexes = list(range(len(self.config.rasa_ports))) if indexes is None else indexes
        started: list[tuple[int, subprocess.Popen]] = []
        for index in indexes:
            process = self.spawn_rasa(index)
            started.append((index, process))
            if len(started) == 1 and len(indexes) > 1:
                # The first replica creates the tables; the others start once they exist.
                self._wait_for_tables(process)
        for index, process in started:
            self.wait_rasa(index, process)

    def _wait_for_tables(self, process: subprocess.Popen) -> None:
        import psycopg2

        def tables_exist() -> bool:
            with psycopg2.connect(self.config.postgres_dsn, connect_timeout=2) as connection:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT to_regclass('public.events')")
                    row = cursor.fetchone()
                    return row is not None and row[0] is not None

        _wait_for(tables_exist, "the first Rasa replica", 300, process)

    def start_web(self) -> None:
        """The demo page, told to connect its widget to nginx (the page's own origin)."""
        config = self.config
        command = [sys.executable, "-m", "web.server", "--host", "127.0.0.1"]
        command += ["--port", str(config.web_port), "--rasa-url", config.public_url]
        process = self._spawn("web", command)
        wait_for_http(f"{config.web_url}/health", 30, process)

    def start_nginx(self) -> None:
        config = self.config
        conf = self.write_nginx_conf()
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        prefix = str(config.var_dir / "nginx") + "/"
        error_log = str(self.log_dir / "nginx-error.log")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        check = subprocess.run(
            [nginx, "-t", "-q", "-p", prefix, "-e", error_log, "-c", str(conf)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected {conf}:\n{check.stderr}")
        process = self._spawn("nginx", [nginx, "-p", prefix, "-e", error_log, "-c", str(conf)])

        def listening() -> bool:
            with socket.create_connection(("127.0.0.1", config.nginx_port), timeout=1):
                return True

        _wait_for(listening, "nginx", 30, process)

    # -- whole cluster ---------------------------------------------------------------------

    def start(self) -> Cluster:
        config = self.config
        if not (config.model / "accounts.tar.gz").exists() and config.model == ROOT / "models":
            raise RuntimeError("No trained model: run `make train`.")
        running = self.running_names()
        if running:
            raise RuntimeError(
                f"a cluster is already running from {config.var_dir} ({', '.join(running)}): "
                "stop it first (make cluster-stop)"
            )
        self.check_ports()
        config.var_dir.mkdir(parents=True, exist_ok=True)
        config.save()
        self.write_endpoints()
        try:
            self.start_postgres()
            self.start_redis()
            self.start_account_service()
            if config.serves_page:
                self.start_web()
            self.start_nginx()
            self.start_action_servers()
            self.start_rasa()
            wait_for_http(f"{config.public_url}/webhooks/rest/", 30)
        except BaseException:
            self.stop()
            raise
        return self

    def check_ports(self) -> None:
        """Fails before starting anything when another program holds one of the ports."""
        config = self.config
        ports = {
            "nginx": config.nginx_port,
            "nginx (action servers)": config.action_lb_port,
            "account service": config.account_port,
            "PostgreSQL": config.postgres_port,
            "Redis": config.redis_port,
            **{f"rasa-{n + 1}": port for n, port in enumerate(config.rasa_ports)},
            **{f"action-{n + 1}": port for n, port in enumerate(config.action_ports)},
        }
        if config.serves_page:
            ports["web"] = config.web_port
        taken = []
        for name, port in ports.items():
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    taken.append(f"{port} ({name})")
        if taken:
            raise RuntimeError(
                f"ports in use: {', '.join(taken)}; choose others with CLUSTER_* variables "
                "(see docs/cluster.md)"
            )

    ORDER = ("nginx", "web", "rasa-", "action-", "account-service", "redis", "postgres")

    def stop(self) -> list[str]:
        """Stops every process that has a pid file, the public entry point first."""
        names = set(self.processes) | (
            {path.stem for path in self.pid_dir.glob("*.pid")} if self.pid_dir.exists() else set()
        )

        def rank(name: str) -> tuple[int, str]:
            for position, prefix in enumerate(self.ORDER):
                if name.startswith(prefix):
                    return position, name
            return len(self.ORDER), name

        ordered = sorted(names, key=rank)
        for name in ordered:
            self.stop_process(name)
        return ordered


def remove_files(config: ClusterConfig) -> None:
    """Deletes a stopped cluster's directory, PostgreSQL data included."""
    shutil.rmtree(postgres_home(config.var_dir), ignore_errors=True)
    shutil.rmtree(config.var_dir, ignore_errors=True)


@contextmanager
def running(config: ClusterConfig) -> Iterator[Cluster]:
    cluster = Cluster(config).start()
    try:
        yield cluster
    finally:
        cluster.stop()
