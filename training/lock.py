"""The machine-wide lock for heavy jobs, the same file mk/*.mk hold with `flock /tmp/heavy.lock`.

The machine's two cores are shared, so trainings and other heavy work take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

LOCK_PATH = "/tmp/heavy.lock"
# Set (to anything) by a parent that already holds the lock, e.g.
# `flock /tmp/heavy.lock env HEAVY_LOCK_HELD=1 ...`: taking it again would wait for ever.
HELD_BY_PARENT = "HEAVY_LOCK_HELD"

_depth = 0


@contextlib.contextmanager
def heavy_lock() -> Iterator[None]:
    """Holds the lock with flock(2), as flock(1) does; nested uses share the outer hold."""
    global _depth
    if _depth or os.environ.get(HELD_BY_PARENT):
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    # Read-only, as flock(1) opens it, so a lock file another user created opens too.
    fd = os.open(LOCK_PATH, os.O_RDONLY | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _depth = 1
        try:
            yield
        finally:
            _depth = 0
    finally:
        os.close(fd)
