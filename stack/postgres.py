"""PostgreSQL from Debian's packages, for the cluster's tracker store and for the throwaway
servers of the insights benchmark and tests: where the binaries are, the user the server
runs as, creating a data directory and a database.

Debian keeps the server binaries out of PATH, one directory per major version, and the
server refuses to run as root: as root it runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stack.processes import free_port


def bindir() -> Path:
    """The newest installed major version's binaries (versions sorted as numbers)."""
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


def available() -> bool:
    try:
        bindir()
    except RuntimeError:
        return False
    return True


def server_user() -> pwd.struct_passwd | None:
    """The user the server runs as: None (this process's user) unless this is root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as missing:
        message = "running as root needs the `postgres` user (Debian package)"
        raise RuntimeError(message) from missing


def run_as_server_user(command: list[str], check: bool = True) -> None:
    user = server_user()
    subprocess.run(
        command,
        check=check,
        capture_output=True,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
    )


def give_to_server_user(*paths: Path) -> None:
    user = server_user()
    if user:
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)


def initdb(data: Path, username: str, *auth: str) -> None:
    """A new database cluster in `data` (its parent must belong to the server user)."""
    run_as_server_user(
        [str(bindir() / "initdb"), "--pgdata", str(data), "--username", username, *auth]
        + ["--encoding", "UTF8", "--no-instructions"]
    )


def create_database(maintenance_dsn: str, name: str) -> None:
    """Creates database `name` unless it exists, connected to the server's `postgres`
    database by `maintenance_dsn` (any libpq connection string)."""
    import psycopg2

    connection = psycopg2.connect(maintenance_dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def accepts_connections(maintenance_dsn: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(maintenance_dsn, connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


@contextmanager
def temporary_postgres(database: str = "rasa") -> Iterator[str]:
    """A throwaway server on a free port of 127.0.0.1, trusting local connections, in a
    temporary directory removed when it stops; yields a SQLAlchemy URL of a new database."""
    home = Path(tempfile.mkdtemp(prefix="throwaway-pg-", dir="/var/tmp"))
    data = home / "data"
    give_to_server_user(home)
    port = free_port()
    initdb(data, "throwaway", "--auth", "trust")
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
    options += " -c fsync=off -c shared_buffers=256MB -c work_mem=64MB"
    pg_ctl = str(bindir() / "pg_ctl")
    log = str(home / "log")
    run_as_server_user([pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "start"])
    try:
        dsn = f"postgresql://throwaway@127.0.0.1:{port}"
        for _ in range(50):
            if accepts_connections(f"{dsn}/postgres"):
                break
            time.sleep(0.2)
        create_database(f"{dsn}/postgres", database)
        yield f"{dsn}/{database}"
    finally:
        run_as_server_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], check=False)
        shutil.rmtree(home, ignore_errors=True)
