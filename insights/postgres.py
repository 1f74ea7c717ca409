"""A throwaway PostgreSQL server (Debian's packages) for the benchmark and the tests.

It runs on a free port, listens on 127.0.0.1 only, trusts local connections and lives in a
temporary directory that is removed when it stops. As root it runs as the `postgres` user,
as PostgreSQL requires.
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
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if found:
        return found[-1].parent
    which = shutil.which("postgres")
    if which:
        return Path(which).parent
    raise RuntimeError("PostgreSQL is not installed: run `make system-deps`.")


def available() -> bool:
    try:
        bindir()
    except RuntimeError:
        return False
    return True


@contextmanager
def temporary_postgres(database: str = "rasa") -> Iterator[str]:
    """Starts a server; yields a SQLAlchemy URL of a new database in it."""
    import psycopg2

    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="insights-pg-", dir="/var/tmp"))
    data = home / "data"
    if user:
        os.chown(home, user.pw_uid, user.pw_gid)

    def run(command: list[str], check: bool = True) -> None:
        subprocess.run(
            command,
            check=check,
            capture_output=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )

    port = free_port()
    bin_dir = bindir()
    run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "insights", "--auth", "trust"]
        + ["--encoding", "UTF8", "--no-instructions"]
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
    options += " -c fsync=off -c shared_buffers=256MB -c work_mem=64MB"
    run(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w"]
        + ["start"]
    )
    try:
        dsn = f"postgresql://insights@127.0.0.1:{port}"
        for _ in range(50):
            try:
                connection = psycopg2.connect(f"{dsn}/postgres")
                break
            except psycopg2.OperationalError:
                time.sleep(0.2)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{database}"')
        connection.close()
        yield f"{dsn}/{database}"
    finally:
        run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], check=False)
        shutil.rmtree(home, ignore_errors=True)
