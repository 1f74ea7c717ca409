"""The ports, files and settings of one cluster; each default can be changed with a
CLUSTER_* variable (docs/cluster.md). Its secrets, the database password included, come from
var_dir/secrets.env (stack.secrets)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path

from cluster.hosts import Addresses, Hosts
from common.demo import demo_mode
from stack import secrets
from stack.processes import ROOT, StackConfig, free_port

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
    # Seconds a dead replica's ticket blocks its conversation (rasa_addons/lock_store.py).
    ticket_lifetime: float = 3.0
    postgres_db: str = "rasa"
    postgres_user: str = "rasa"
    # The demo mailbox, as in `make run`: DEMO_MODE=0 leaves it out.
    demo_mode: bool = True
    model: Path = ROOT / "models"
    web_port: int = 6081
    extra_cors: tuple[str, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)
    # A /24 (CLUSTER_HOSTS_NETWORK): each host in a network namespace of its own with an
    # address from it (cluster/hosts.py, `make hosts`); None: everything on 127.0.0.1.
    network: str | None = None
    # The namespaces', bridge's and links' names start with it (CLUSTER_HOSTS_PREFIX).
    host_prefix: str = "acc"

    @classmethod
    def from_env(cls, var_dir: Path | None = None) -> ClusterConfig:
        defaults = cls()
        return cls(
            # Absolute: nginx reads the paths in its configuration from its own prefix.
            var_dir=(var_dir or Path(os.environ.get("CLUSTER_VAR_DIR", DEFAULT_VAR_DIR))).resolve(),
            nginx_port=_env_int("CLUSTER_NGINX_PORT", defaults.nginx_port),
            action_lb_port=_env_int("CLUSTER_ACTION_LB_PORT", defaults.action_lb_port),
            rasa_ports=_env_ports("CLUSTER_RASA_PORTS", defaults.rasa_ports),
            action_ports=_env_ports("CLUSTER_ACTION_PORTS", defaults.action_ports),
            account_port=_env_int("CLUSTER_ACCOUNT_PORT", defaults.account_port),
            postgres_port=_env_int("CLUSTER_POSTGRES_PORT", defaults.postgres_port),
            redis_port=_env_int("CLUSTER_REDIS_PORT", defaults.redis_port),
            sanic_workers=_env_int("CLUSTER_SANIC_WORKERS", defaults.sanic_workers),
            web_port=_env_int("CLUSTER_WEB_PORT", defaults.web_port),
            demo_mode=demo_mode(os.environ, default=defaults.demo_mode),
            network=os.environ.get("CLUSTER_HOSTS_NETWORK") or None,
            host_prefix=os.environ.get("CLUSTER_HOSTS_PREFIX", defaults.host_prefix),
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

    @classmethod
    def saved(cls, var_dir: Path) -> ClusterConfig:
        """The ports and settings a cluster was started with (var_dir/cluster.json, written
        by `start`), for tools that reach a running cluster, such as `make forget`."""
        path = var_dir / "cluster.json"
        if not path.exists():
            raise FileNotFoundError(f"no cluster was started from {var_dir} ({path} is missing)")
        data = json.loads(path.read_text())
        defaults = cls()
        values: dict[str, object] = {}
        for name in (item.name for item in fields(cls)):
            if name not in data or name == "var_dir":
                continue
            default, value = getattr(defaults, name), data[name]
            if isinstance(default, Path):
                value = Path(value)
            elif isinstance(default, tuple):
                value = tuple(value)
            values[name] = value
        return cls(var_dir=var_dir, **values)  # type: ignore[arg-type]

    @cached_property
    def secrets(self) -> dict[str, str]:
        """The cluster's keys, tokens and database password (from the environment or
        var_dir/secrets.env); not fields, so that `save` never writes them."""
        return secrets.load(self.var_dir, secrets.CLUSTER_SECRETS)

    @property
    def postgres_password(self) -> str:
        return self.secrets["POSTGRES_PASSWORD"]

    @property
    def api_key(self) -> str:
        return self.secrets["ACCOUNT_SERVICE_API_KEY"]

    @property
    def addresses(self) -> Addresses:
        replicas = len(self.rasa_ports)
        if self.network is None:
            return Addresses.local(replicas)
        return Addresses.on_network(self.network, replicas)

    @property
    def hosts(self) -> Hosts | None:
        """The namespaces, when each host has its own (`network` set)."""
        if self.network is None:
            return None
        return Hosts(self.host_prefix, self.network, self.addresses)

    @property
    def public_url(self) -> str:
        return f"http://{self.addresses.edge}:{self.nginx_port}"

    def rasa_url(self, replica: int) -> str:
        return f"http://{self.addresses.rasa[replica]}:{self.rasa_ports[replica]}"

    def action_url(self, replica: int) -> str:
        return f"http://{self.addresses.rasa[replica]}:{self.action_ports[replica]}"

    @property
    def web_url(self) -> str:
        return f"http://{self.addresses.edge}:{self.web_port}"

    @property
    def account_url(self) -> str:
        return f"http://{self.addresses.accounts}:{self.account_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.addresses.database}:{self.redis_port}"

    @property
    def postgres_dsn(self) -> str:
        return self.dsn_for(self.postgres_db)

    @property
    def postgres_url(self) -> str:
        """The tracker database as an SQLAlchemy URL without the password, which libpq takes
        from PGPASSWORD in the programs' environment (see `environment`)."""
        return (
            f"postgresql://{self.postgres_user}@{self.addresses.database}:{self.postgres_port}"
            f"/{self.postgres_db}"
        )

    def dsn_for(self, database: str) -> str:
        # libpq's quoting, for a password set in the environment with spaces or quotes.
        quoted = self.postgres_password.replace("\\", "\\\\").replace("'", "\\'")
        return (
            f"host={self.addresses.database} port={self.postgres_port} dbname={database} "
            f"user={self.postgres_user} password='{quoted}'"
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

    def environment(self) -> dict[str, str]:
        """What every program of the cluster sees: the same settings as one stack."""
        stack = StackConfig(
            account_port=self.account_port, var_dir=self.var_dir, demo_mode=self.demo_mode
        )
        env = stack.environment()
        env["ACCOUNT_SERVICE_URL"] = self.account_url
        env.pop("SANIC_HOST")  # each action server is given its host's address
        env.update(self.secrets)
        env["PGPASSWORD"] = self.postgres_password
        env.update(self.extra_env)
        return env

    def save(self) -> None:
        data = {key: value for key, value in asdict(self).items() if key != "extra_env"}
        (self.var_dir / "cluster.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
