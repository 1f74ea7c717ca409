"""The cluster's programs under one supervisord, the same supervisor as `make run`.

Topology: PostgreSQL (tracker store), Redis (lock store), one account service, the demo
page, N action servers and N Rasa replicas, and nginx in front of both the replicas
(public port) and the action servers (internal port used by the replicas). All on
127.0.0.1 (`make cluster`), or each host in its own network namespace (`make hosts`,
cluster/hosts.py): the database host (PostgreSQL, Redis), the edge (nginx, demo page), the
account service, and Rasa host N (replica N and action server N).
A crashed program is restarted by supervisord; `make cluster-stop` stops them all.
"""

from __future__ import annotations

import dataclasses
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from cluster import nginx, postgres
from cluster.config import ClusterConfig
from cluster.hosts import ACCOUNTS, DATABASE, EDGE, Hosts, rasa_host, watch_and_remove
from stack.processes import BIN, ROOT, account_service_command
from stack.supervisor import Program, Supervisor, http_ready, port_ready

ENDPOINTS_TEMPLATE = Path(__file__).with_name("templates") / "endpoints.yml.template"


def redis_ready(port: int, host: str = "127.0.0.1") -> bool:
    import redis

    client = redis.Redis(host=host, port=port, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def redis_program(port: int, var_dir: Path, host: str = "127.0.0.1") -> Program:
    """Redis on `host` without persistence (locks and rate-limit windows are short-lived)."""
    return Program(
        "redis",
        [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            *("--port", str(port), "--bind", host, "--protected-mode", "no"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            *("--dir", str(var_dir)),
        ],
        lambda: redis_ready(port, host),
        port=port,
    )


def host_of(program: str) -> str:
    """The host a program of the cluster runs on."""
    if program in ("postgres", "redis"):
        return DATABASE
    if program in ("nginx", "web"):
        return EDGE
    if program == "account-service":
        return ACCOUNTS
    return rasa_host(int(program.rsplit("-", 1)[1]) - 1)


def placed(program: Program, hosts: Hosts) -> Program:
    """The program run inside its host's namespace. Entering one needs root, so a program
    of another user (PostgreSQL) becomes that user after entering, not before."""
    command = program.command
    if program.user:
        command = ["setpriv", f"--reuid={program.user}", f"--regid={program.user}"]
        command += ["--init-groups", "--", *program.command]
    return dataclasses.replace(
        program, command=hosts.in_namespace(host_of(program.name), command), user=None
    )


class Cluster:
    """Starts the programs in dependency order and controls them through supervisord."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.supervisor = Supervisor(config.var_dir, config.var_dir / "logs", cwd=ROOT)
        # Removes the hosts' namespaces if this process dies without stopping the cluster.
        self.host_watcher: subprocess.Popen | None = None

    # -- programs --------------------------------------------------------------------------

    def programs(self) -> list[Program]:
        config = self.config
        at = config.addresses
        programs = [
            Program(
                "postgres",
                postgres.server_command(config),
                lambda: postgres.accepts_connections(config),
                port=config.postgres_port,
                stop_signal="INT",  # fast shutdown: open sessions are rolled back
                user=postgres.server_user(),
                after_ready=lambda: postgres.create_database(config),
            ),
            redis_program(config.redis_port, config.var_dir, at.database),
            Program(
                "account-service",
                account_service_command(config.account_port, config.var_dir, at.accounts),
                http_ready(f"{config.account_url}/health"),
                port=config.account_port,
            ),
            Program(
                "web",
                # The demo page, told to connect its widget to nginx (the page's own origin).
                [sys.executable, "-m", "web.server", "--host", at.edge]
                + ["--port", str(config.web_port), "--rasa-url", config.public_url],
                http_ready(f"{config.web_url}/health"),
                port=config.web_port,
                # /insights reads PostgreSQL and the account service's tickets.
                env={
                    "TRACKER_DB": config.postgres_url,
                    "ACCOUNTS_DB": str(config.var_dir / "accounts.db"),
                },
            ),
            Program("nginx", nginx.command(config), port_ready(config.nginx_port, at.edge)),
        ]
        for index, port in enumerate(config.action_ports):
            programs.append(
                Program(
                    f"action-{index + 1}",
                    [str(BIN / "rasa"), "run", "actions", "--actions", "actions"]
                    + ["--port", str(port)],
                    http_ready(f"{config.action_url(index)}/health"),
                    ready_timeout=120,
                    port=port,
                    env={"SANIC_HOST": at.rasa[index]},
                )
            )
        for index, port in enumerate(config.rasa_ports):
            programs.append(
                Program(
                    f"rasa-{index + 1}",
                    self.rasa_command(index),
                    http_ready(f"{config.rasa_url(index)}/webhooks/rest/"),
                    ready_timeout=300,
                    port=port,
                    start_seconds=5,
                    env={
                        # More than one Sanic worker per replica needs the shared lock store.
                        "SANIC_WORKERS": str(config.sanic_workers),
                        # Rate limits count across replicas and workers; the client is the
                        # address nginx forwards (or a proxy on this machine, as nginx
                        # trusts it: the tests' learners that bypass nginx).
                        "RATE_LIMIT_STORAGE_URL": f"{config.redis_url}/1",
                        # A learner's socket.io room reaches every replica: the desk's
                        # messages arrive through whichever replica nginx picks.
                        "SOCKETIO_REDIS_URL": f"{config.redis_url}/2",
                        "TRUSTED_PROXIES": ",".join(dict.fromkeys((at.edge, at.gateway))),
                    },
                )
            )
        hosts = config.hosts
        return programs if hosts is None else [placed(program, hosts) for program in programs]

    def rasa_command(self, index: int) -> list[str]:
        config = self.config
        # The same Rasa launcher as `make run`, with its speed-ups.
        return [
            *(sys.executable, "-m", "rasa_addons.server", "run"),
            *("--model", str(config.model)),
            *("--endpoints", str(config.var_dir / "endpoints.yml")),
            *("--credentials", str(ROOT / "credentials.yml")),
            *("--interface", config.addresses.rasa[index]),
            *("--port", str(config.rasa_ports[index])),
            *("--cors", *config.cors_origins),
        ]

    def stages(self) -> list[list[str]]:
        """Start order: each stage waits for the one before. The first replica creates the
        tracker store's tables, so the others start after it."""
        config = self.config
        rasa = [f"rasa-{index + 1}" for index in range(len(config.rasa_ports))]
        actions = [f"action-{index + 1}" for index in range(len(config.action_ports))]
        return [["postgres", "redis"], ["account-service", "web", "nginx"], actions] + (
            [rasa[:1], rasa[1:]] if len(rasa) > 1 else [rasa]
        )

    # -- whole cluster ---------------------------------------------------------------------

    def start(self, detached: bool = False) -> Cluster:
        """Starts everything; `detached` leaves it running after this process ends."""
        config = self.config
        if not (config.model / "accounts.tar.gz").exists() and config.model == ROOT / "models":
            raise RuntimeError("No trained model: run `make train`.")
        if self.supervisor.is_up():
            raise RuntimeError(
                f"a cluster is already running from {config.var_dir}: "
                "stop it first (make cluster-stop)"
            )
        config.var_dir.mkdir(parents=True, exist_ok=True)
        config.save()
        try:
            if config.hosts is not None:
                config.hosts.create()
                if not detached:
                    self.host_watcher = watch_and_remove(config.hosts)
            self.write_endpoints()
            nginx.write_conf(config)
            self.supervisor.write_config(self.programs())
            if config.hosts is None:  # each host of `make hosts` is a new namespace
                self.supervisor.check_ports()
            postgres.init_once(config)
            postgres.write_hba(config)
            self.supervisor.launch(config.environment(), detached=detached)
            self.supervisor.start_in_order(self.stages())
        except BaseException:
            self.stop()
            raise
        return self

    def write_endpoints(self) -> Path:
        template = string.Template(ENDPOINTS_TEMPLATE.read_text())
        path = self.config.var_dir / "endpoints.yml"
        at = self.config.addresses
        values = {**asdict(self.config), "edge": at.edge, "database": at.database}
        path.write_text(template.substitute(values))
        return path

    def apply(self) -> None:
        """Rewrites the programs after a change of the config (e.g. Sanic workers); a changed
        program is stopped and replaced, and must be started again."""
        supervisor = self.supervisor
        supervisor.write_config(self.programs())
        added, changed, removed = supervisor.rpc.reloadConfig()[0]
        for name in changed + removed:
            supervisor.stop(name)
            supervisor.rpc.removeProcessGroup(name)
        for name in changed + added:
            supervisor.rpc.addProcessGroup(name)

    def running_names(self) -> list[str]:
        if not self.supervisor.is_up():
            return []
        return sorted(
            name for name, state in self.supervisor.states().items() if state == "RUNNING"
        )

    def stop(self) -> None:
        self.supervisor.shutdown()
        if self.config.hosts is not None:
            self.config.hosts.remove()
        if self.host_watcher is not None:
            self.host_watcher.terminate()
            self.host_watcher.wait()
            self.host_watcher = None


def remove_files(config: ClusterConfig) -> None:
    """Deletes a stopped cluster's directory, PostgreSQL data included."""
    postgres.remove_data(config)
    shutil.rmtree(config.var_dir, ignore_errors=True)


@contextmanager
def running(config: ClusterConfig) -> Iterator[Cluster]:
    cluster = Cluster(config).start()
    try:
        yield cluster
    finally:
        cluster.stop()
