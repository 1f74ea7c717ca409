"""A Redis server of the tests' own, under the project's supervisor, on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cluster.processes import redis_program
from stack.processes import ROOT, free_port
from stack.supervisor import Supervisor


@contextmanager
def supervised_redis(home: Path) -> Iterator[tuple[int, Supervisor]]:
    """A Redis started for the caller: its port, and its supervisor (program "redis") to
    stop and start it; stopped afterwards."""
    port = free_port()
    supervisor = Supervisor(home, cwd=ROOT)
    supervisor.write_config([redis_program(port, home)])
    supervisor.launch(dict(os.environ))
    try:
        supervisor.start_in_order([["redis"]])
        yield port, supervisor
    finally:
        supervisor.shutdown()


@contextmanager
def running_redis(home: Path) -> Iterator[int]:
    """Yields the port of a Redis started for the caller; stopped afterwards."""
    with supervised_redis(home) as (port, _):
        yield port
