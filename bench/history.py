"""Where a long conversation's cost comes from: the parts of a turn that walk the whole
history, timed one by one on the conversations bench/length.py left in a tracker store.

`python -m bench.history DB SENDER ...` prints, per conversation, the milliseconds of one
call of each: loading it from the database (what Rasa's SQL store does per message), the
kept tracker's freshness check, the turn-id lookup, `applied_events` and `past_states`
(which the policies' featurizers call, on the whole history, for every prediction).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from stack.processes import ROOT


def _ms(call: Callable[[], Any], times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        call()
    return round((time.perf_counter() - started) * 1000 / times, 2)


def _freshness(store: Any, sender: str) -> Any:
    with store.engine.connect() as connection:
        return store._rows_of(connection, sender)


async def _measure(db: Path, senders: list[str]) -> list[dict[str, Any]]:
    from rasa.shared.core.domain import Domain

    from rasa_addons.tracker_store import CachedSQLTrackerStore
    from rasa_addons.turns import replies_given

    domain = Domain.load(ROOT / "domain.yml")
    store = CachedSQLTrackerStore(domain, dialect="sqlite", db=str(db))
    out = []
    for sender in senders:
        started = time.perf_counter()
        tracker = await store.retrieve(sender)
        load_ms = round((time.perf_counter() - started) * 1000, 1)
        if tracker is None:
            continue

        out.append(
            {
                "sender": sender,
                "events": len(tracker.events),
                "load_from_database_ms": load_ms,
                "freshness_query_ms": _ms(partial(_freshness, store, sender), 20),
                "turn_id_lookup_ms": _ms(partial(replies_given, tracker, "not-sent"), 20),
                "applied_events_ms": _ms(tracker.applied_events, 5),
                "past_states_ms": _ms(partial(tracker.past_states, domain), 2),
            }
        )
    return out


def measure(db: Path, senders: list[str]) -> list[dict[str, Any]]:
    """Runs in a new process: Rasa's imports stay out of the benchmark's own."""
    command = [sys.executable, "-m", "bench.history", str(db), *senders]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_measure(Path(sys.argv[1]), sys.argv[2:]))))
