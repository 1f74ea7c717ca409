"""PostgreSQL for the cluster's tracker store: where its data lives, creating it once, and
the command supervisord runs (the server itself: stack/postgres.py). As root the server
runs as the `postgres` system user, whose access to the data directory is checked here."""

from __future__ import annotations

import grp
import hashlib
import pwd
import shutil
import stat
from pathlib import Path

from cluster.config import ClusterConfig
from stack import postgres
from stack.secrets import write_private


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
    user = postgres.server_user()
    if user is None or _reachable_by(user, home):
        return home
    digest = hashlib.sha1(str(home.resolve()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"cluster-postgres-{digest}"


def data_dir(config: ClusterConfig) -> Path:
    return postgres_home(config.var_dir) / "data"


def init_once(config: ClusterConfig) -> None:
    """Creates the database cluster (initdb) the first time, owned by the server user."""
    data = data_dir(config)
    if (data / "PG_VERSION").exists():
        return
    home = data.parent
    home.mkdir(parents=True, exist_ok=True)
    password_file = home / "password"
    write_private(password_file, config.postgres_password + "\n")
    postgres.give_to_server_user(home, password_file)
    try:
        postgres.initdb(
            data,
            config.postgres_user,
            *("--pwfile", str(password_file), "--auth-host", "scram-sha-256"),
            *("--auth-local", "peer"),
        )
    finally:
        password_file.unlink(missing_ok=True)


def server_command(config: ClusterConfig) -> list[str]:
    return [
        str(postgres.bindir() / "postgres"),
        *("-D", str(data_dir(config)), "-p", str(config.postgres_port)),
        *("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="),
        *("-c", "max_connections=200"),
    ]


def server_user() -> str | None:
    user = postgres.server_user()
    return user.pw_name if user else None


def accepts_connections(config: ClusterConfig) -> bool:
    return postgres.accepts_connections(config.dsn_for("postgres"))


def create_database(config: ClusterConfig) -> None:
    """The tracker store's database, created once (Rasa creates its tables in it)."""
    postgres.create_database(config.dsn_for("postgres"), config.postgres_db)


def remove_data(config: ClusterConfig) -> None:
    shutil.rmtree(postgres_home(config.var_dir), ignore_errors=True)
