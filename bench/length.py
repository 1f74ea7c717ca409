"""What one turn costs as a conversation grows: latency and Rasa CPU at turn 10, 100, 500
and 2,000 of one conversation, and after 50 sessions of it.

Each point is a conversation of its own, seeded into the stack's tracker store from a real
conversation of the same stack (bench/seed.py), then continued live for a few turns, one at
a time. The first live turn is reported apart: a tracker our store does not keep yet is
loaded from the database once, as after a restart; the turns after it are the ones that
count. The 50-session conversation has its sessions two hours apart (the domain's sessions
expire after 60 minutes), so the live turns open session 51: Rasa loads only the latest
session, and a turn's cost should not see the older ones.

`python -m bench length` (`make bench-length`) measures the curve alone, on stacks of its
own (our configuration unless --configurations says otherwise), and writes bench-length.json
and bench-length.png into reports/; `python -m bench server` measures it on its stacks after
the load levels, into its own report.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import aiohttp

from bench import history, plots, runs, seed, writer
from bench.rss import process_cpu_ns
from bench.runs import CONFIGURATIONS, Running, log
from stack.learner import AsyncRestLearner, Endpoints, failed_turn

CHECKPOINTS = (10, 100, 500, 2000)
SESSIONS = 50
# Live turns after each seeded conversation: the first apart, the median of the others.
LIVE = 21
SESSION_GAP_S = 2 * 3600.0
# Turns that change nothing outside the conversation (no mail, no ticket).
# Live turns start at least this far apart: a conversation may send 15 messages per 10 s.
TURN_SPACING_S = 0.7
LIVE_TEXTS = ("hey", "are you a bot?", "what's the weather in Paris tomorrow?", "thanks")


@dataclass
class Point:
    """One seeded conversation: `turns` turns over `sessions` sessions before the live ones."""

    label: str
    turns: int
    sessions: int = 1


def points(checkpoints: tuple[int, ...], sessions: int) -> list[Point]:
    out = [Point(f"turn {n}", n) for n in checkpoints]
    if sessions > 1:
        longest = max(checkpoints)
        out.append(Point(f"{sessions} sessions", longest, sessions))
    return out


async def live_turns(
    rasa_url: str, sender: str, rasa_pid: int, count: int
) -> tuple[list[dict[str, Any]], float]:
    """Sends `count` turns one after the other: latency and outcome of each, and the median
    of the Rasa server's CPU per turn over all but the first, each counted from sending to
    the reply (the pauses between turns, where the server's timers run, are left out; the
    median, as for latency, leaves out a database checkpoint that falls on one turn)."""
    out: list[dict[str, Any]] = []
    cpu_ns: list[int] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        chat = AsyncRestLearner(session, Endpoints(rasa_url), sender)
        for index in range(count):
            cpu_before = process_cpu_ns(rasa_pid)
            started = time.perf_counter()
            replies = await chat.replies_to(LIVE_TEXTS[index % len(LIVE_TEXTS)])
            latency = (time.perf_counter() - started) * 1000
            if index > 0:
                cpu_ns.append(process_cpu_ns(rasa_pid) - cpu_before)
            out.append({"latency_ms": latency, "failed": failed_turn(replies)})
            # Under the channel's limit of 15 messages per 10 s of one conversation.
            await asyncio.sleep(max(0.0, TURN_SPACING_S - latency / 1000))
    return out, median(cpu_ns) / 1e6 if cpu_ns else 0.0


def measure(
    rasa_url: str,
    tracker_db: Path,
    rasa_pid: int,
    *,
    checkpoints: tuple[int, ...] = CHECKPOINTS,
    sessions: int = SESSIONS,
    live: int = LIVE,
) -> dict[str, Any]:
    """Every point of the curve for one running stack, with the growth from the first."""
    tmpl = seed.template(tracker_db)
    results = []
    for point in points(checkpoints, sessions):
        sender = f"length-{uuid.uuid4().hex[:10]}"
        per_session = max(1, point.turns // point.sessions)
        if point.sessions > 1:
            start = time.time() - point.sessions * SESSION_GAP_S
        else:  # recent enough that the session is still open
            start = time.time() - 600
        # The first live turn is one more than those seeded.
        seeded = per_session - (1 if point.sessions == 1 else 0)
        events = seed.conversation(tmpl, point.sessions, seeded, start, SESSION_GAP_S)
        rows = seed.write(tracker_db, iter([(sender, events)]))
        turns, cpu_ms = asyncio.run(live_turns(rasa_url, sender, rasa_pid, live))
        steady = turns[1:]
        results.append(
            {
                "point": point.label,
                "sender": sender,
                "turn": point.turns,
                "sessions": point.sessions,
                "seeded_rows": rows,
                "first_turn_ms": round(turns[0]["latency_ms"], 1),
                "p50_ms": round(median(t["latency_ms"] for t in steady), 1),
                "rasa_cpu_ms_per_turn": round(cpu_ms, 1),
                "failed_turns": sum(t["failed"] is not None for t in turns),
            }
        )
    base = results[0]
    for result in results:
        result["p50_over_first_point"] = _over(result["p50_ms"], base["p50_ms"])
        result["cpu_over_first_point"] = _over(
            result["rasa_cpu_ms_per_turn"], base["rasa_cpu_ms_per_turn"]
        )
    return {"template_turns": len(tmpl.turns), "live_turns_per_point": live, "points": results}


def _over(value: float, base: float) -> float | None:
    return round(value / base, 2) if base else None


def main_run(running: list[Running]) -> Running:
    """Our configuration's run when it ran, else the first."""
    return next((r for r in running if r.configuration.name == "ours"), running[0])


def curves(
    running: list[Running], checkpoints: tuple[int, ...], sessions: int, live: int = LIVE
) -> dict[str, Any]:
    """The curve of each running configuration, by name."""
    out = {}
    for up in running:
        log(f"{up.configuration.name}: cost per turn as a conversation grows")
        out[up.configuration.name] = measure(
            up.stack.config.rasa_url,
            up.stack.config.tracker_db,
            up.rasa_pid,
            checkpoints=checkpoints,
            sessions=sessions,
            live=live,
        )
    return out


def parts(running: list[Running], measured: dict[str, Any]) -> dict[str, Any]:
    """Where the growth comes from (bench/history.py), on the main run's length points."""
    main = main_run(running)
    senders = [point["sender"] for point in measured[main.configuration.name]["points"]]
    return {
        "configuration": main.configuration.name,
        "points": history.measure(main.stack.config.tracker_db, senders),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configurations", default="ours", help=f"of {','.join(CONFIGURATIONS)} (default ours)"
    )
    parser.add_argument("--model", type=Path, help="our model (default: trained from config.yml)")
    parser.add_argument(
        "--checkpoints",
        default=",".join(map(str, CHECKPOINTS)),
        help="turns of one session (default %(default)s)",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=SESSIONS,
        help="sessions of the spread-out point (default %(default)s; 1 leaves it out)",
    )
    parser.add_argument(
        "--live", type=int, default=LIVE, help="live turns per point (default %(default)s)"
    )
    parser.add_argument("--quick", action="store_true", help="turns 10 and 100 and 5 sessions only")
    writer.add_out(parser, "length")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    chosen = runs.chosen(args.configurations)
    checkpoints = (10, 100) if args.quick else tuple(map(int, args.checkpoints.split(",")))
    sessions = 5 if args.quick else args.sessions
    with runs.started(chosen, runs.trained(chosen, args.model)) as running:
        measured = curves(running, checkpoints, sessions, args.live)
    body = {
        "settings": {
            "configurations": [c.name for c in chosen],
            "checkpoints": list(checkpoints),
            "sessions": sessions,
            "live_turns_per_point": args.live,
            "limits_scale": runs.LIMITS_SCALE,
        },
        "startup_s": {r.configuration.name: r.result["startup_s"] for r in running},
        "length": measured,
        "length_parts": parts(running, measured),
    }
    written = writer.write("length", command, body, args.out)
    plots.length(measured, writer.beside(args.out, ".png"))
    for name, curve in measured.items():
        for point in curve["points"]:
            log(
                f"{name} {point['point']}: p50 {point['p50_ms']} ms, Rasa CPU "
                f"{point['rasa_cpu_ms_per_turn']} ms/turn ({point['cpu_over_first_point']}x)"
            )
    log(f"wrote {args.out}")
    return written
