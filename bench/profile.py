"""`python -m bench profile` (`make bench-profile`): where the loaded Rasa server spends its CPU.

Starts a stack as the benchmark does, drives learners at one concurrency level while py-spy
samples the Rasa server, and writes reports/bench-profile.json: the share of the samples
each named part of a turn is on the stack, and the busiest frames (py-spy's collapsed
stacks stay in the run's var dir, for a flame graph).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench import models, writer
from bench.conversations import LearnerFactory
from bench.runs import CONFIGURATIONS, LIMITS_SCALE, log, ours_model, warmup
from stack.load import Driver
from stack.processes import BIN, Stack, StackConfig

# Parts of a turn, by a frame on the stack (and, for a part's own time, a frame that is not).
PARTS: dict[str, tuple[str, str | None]] = {
    "NLU (the parsing graph)": ("_parse_message_with_graph (rasa/core/processor.py)", None),
    "next-action prediction": ("_predict_next_with_tracker (rasa/core/processor.py)", None),
    "- featurizer states (kept and extended, rasa_addons/history.py)": (
        "create_states (rasa_addons/history.py)",
        None,
    ),
    "- memoization by truncation": (
        "_recall_using_truncation (rasa/core/policies/memoization.py)",
        None,
    ),
    "running actions": ("_run_action (rasa/core/processor.py)", None),
    "tracker store: loads": ("retrieve (rasa_addons/tracker_store.py)", None),
    "tracker store: saves": ("save (rasa_addons/tracker_store.py)", None),
    "tracker store: freshness queries": ("_rows_of (rasa_addons/tracker_store.py)", None),
    "turn-id check (outside the processor)": (
        "handle_message_once (rasa_addons/turns.py)",
        "handle_message (rasa/core/processor.py)",
    ),
    "channel guard (outside the handler)": (
        "handle (rasa_addons/channels/guard.py)",
        "handler (rasa/core/channels/channel.py)",
    ),
    "rate-limit window sweeps (their own thread)": (
        "__expire_events (limits/storage/memory.py)",
        None,
    ),
}


def frames(collapsed: Path) -> list[tuple[set[str], int]]:
    """Each sampled stack as its set of frames ("function (file)"), with its sample count."""
    out = []
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        names = {
            frame.rsplit(":", 1)[0] + ")" if ":" in frame else frame for frame in stack.split(";")
        }
        out.append((names, int(number)))
    return out


def shares(collapsed: Path, top: int) -> dict[str, Any]:
    """Inclusive share of the samples of the named parts and of the `top` busiest frames."""
    stacks = frames(collapsed)
    total = max(sum(n for _, n in stacks), 1)
    counts: Counter[str] = Counter()
    for names, samples in stacks:
        counts.update({name: samples for name in names})
    parts = {
        label: round(
            sum(n for names, n in stacks if on in names and (off is None or off not in names))
            / total,
            3,
        )
        for label, (on, off) in PARTS.items()
    }
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    busiest = {name: round(n / total, 3) for name, n in ranked}
    return {"samples": total, "parts": parts, "frames": busiest}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--configuration", default="ours", choices=list(CONFIGURATIONS))
    parser.add_argument("--model", type=Path, help="our model (default: trained from config.yml)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--top", type=int, default=40)
    writer.add_out(parser, "profile")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    configuration = CONFIGURATIONS[args.configuration]
    model = ours_model(args.model) if configuration.model == "ours" else models.train("stock")
    var_dir = models.BUILD / f"profile-{configuration.name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    config = StackConfig.on_free_ports(
        var_dir, model=model.path, tuned=configuration.tuned, limits_scale=LIMITS_SCALE
    )
    collapsed = var_dir / "py-spy.txt"
    stack = Stack(config).start()
    try:
        factory = LearnerFactory(run_id=f"profile-{uuid.uuid4().hex[:6]}")
        driver = Driver(config, factory)
        asyncio.run(warmup(driver))
        record = [str(BIN / "py-spy"), "record", "--pid", str(stack.pids()["rasa"])]
        record += ["--duration", str(args.seconds), "--rate", "100", "--format", "raw"]
        spy = threading.Thread(
            target=subprocess.run,
            args=([*record, "--output", str(collapsed)],),
            kwargs={"check": True},
        )
        spy.start()
        level = asyncio.run(driver.run_level(args.concurrency, args.seconds + 2))
        spy.join()
    finally:
        stack.stop()
    body = {
        "settings": {
            "configuration": configuration.name,
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "rate_hz": 100,
            # py-spy stops the process for each sample: turns/s while profiling is lower.
            "load_while_profiled": level.summary(),
        },
        **shares(collapsed, args.top),
    }
    report = writer.write("profile", command, body, args.out)
    for label, share in report["parts"].items():
        log(f"{share:6.1%}  {label}")
    log(f"wrote {args.out} (collapsed stacks: {collapsed})")
    return report
