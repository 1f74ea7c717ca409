"""What grows with the number of conversations: the kept-tracker cache's memory and the
start-up time over a large tracker store.

The store is seeded (bench/seed.py) with short conversations (one session, two turns each,
about 14 events), so 100,000 conversations make well over a million events. The memory is
measured in a process of its own (`python -m bench.scale kept ...`) that opens the same
store class the Rasa server uses and loads conversations through it, as messages would:
its growth is the cache's, without the model and the server around it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import seed
from stack.processes import ROOT

CONVERSATIONS = (1_000, 10_000, 100_000)


TURNS_PER_CONVERSATION = 2


def seed_store(tmpl: seed.Template, db: Path, conversations: int) -> int:
    """`conversations` short conversations from a day ago; the number of events."""
    start = time.time() - 86400

    def each() -> Any:
        for number in range(conversations):
            yield (
                f"seeded-{number}",
                seed.conversation(tmpl, 1, TURNS_PER_CONVERSATION, start + number, 0.0),
            )

    return seed.write(db, each())


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _load_all(db: Path, conversations: int, kept: int | None) -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    from rasa_addons.tracker_store import DEFAULT_KEPT_CONVERSATIONS, CachedSQLTrackerStore

    bound = DEFAULT_KEPT_CONVERSATIONS if kept is None else kept
    store = CachedSQLTrackerStore(
        Domain.load(ROOT / "domain.yml"), dialect="sqlite", db=str(db), kept_conversations=bound
    )
    await store.retrieve("seeded-0")  # imports and connections before the first measure
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    for number in range(conversations):
        await store.retrieve(f"seeded-{number}")
    seconds = time.perf_counter() - started
    gc.collect()
    after = _rss_mb()
    held = len(store._kept)
    return {
        "conversations_loaded": conversations,
        "kept_bound": bound,
        "kept": held,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "growth_mb": round(after - before, 1),
        "kb_per_kept": round((after - before) * 1024 / held, 1) if held else None,
        "load_ms_per_conversation": round(seconds * 1000 / conversations, 2),
    }


def kept_memory(db: Path, conversations: int, kept: int | None = None) -> dict[str, Any]:
    """Runs the measurement in a new process, so earlier ones leave no memory behind."""
    command = [sys.executable, "-m", "bench.scale", "kept", str(db), str(conversations)]
    if kept is not None:
        command += ["--kept", str(kept)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description="memory of the kept-tracker cache")
    commands = parser.add_subparsers(dest="command", required=True)
    kept = commands.add_parser("kept")
    kept.add_argument("db", type=Path)
    kept.add_argument("conversations", type=int)
    kept.add_argument("--kept", type=int)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_load_all(args.db, args.conversations, args.kept))))


if __name__ == "__main__":
    main()
