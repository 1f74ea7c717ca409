"""PostgreSQL for the cluster's tracker store: where its data lives, creating it once, and
the command supervisord runs. Debian's server refuses to run as root, so as root it runs as
the `postgres` system user, whose access to the data directory is checked here."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from cluster.config import ClusterConfig
from stack.secrets import write_private


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


def data_dir(config: ClusterConfig) -> Path:
    return postgres_home(config.var_dir) / "data"


def init_once(config: ClusterConfig) -> None:
    """Creates the database cluster (initdb) the first time, owned by the server user."""
    data = data_dir(config)
    if (data / "PG_VERSION").exists():
        return
    user = _postgres_user()
    home = data.parent
    home.mkdir(parents=True, exist_ok=True)
    password_file = home / "password"
    write_private(password_file, config.postgres_password + "\n")
    if user:
        os.chown(home, user.pw_uid, user.pw_gid)
        os.chown(password_file, user.pw_uid, user.pw_gid)
    try:
        subprocess.run(
            [
                str(postgres_bindir() / "initdb"),
                *("--pgdata", str(data), "--username", config.postgres_user),
                *("--pwfile", str(password_file), "--auth-host", "scram-sha-256"),
                *("--auth-local", "peer", "--encoding", "UTF8", "--no-instructions"),
            ],
            check=True,
            capture_output=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
    finally:
        password_file.unlink(missing_ok=True)


def server_command(config: ClusterConfig) -> list[str]:
    return [
        str(postgres_bindir() / "postgres"),
        *("-D", str(data_dir(config)), "-p", str(config.postgres_port)),
        *("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="),
        *("-c", "max_connections=200"),
    ]


def server_user() -> str | None:
    user = _postgres_user()
    return user.pw_name if user else None


def accepts_connections(config: ClusterConfig) -> bool:
    import psycopg2

    try:
        psycopg2.connect(config.dsn_for("postgres"), connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def create_database(config: ClusterConfig) -> None:
    """The tracker store's database, created once (Rasa creates its tables in it)."""
    import psycopg2

    connection = psycopg2.connect(config.dsn_for("postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (config.postgres_db,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config.postgres_db}"')
    connection.close()


def remove_data(config: ClusterConfig) -> None:
    shutil.rmtree(postgres_home(config.var_dir), ignore_errors=True)
