"""`python -m bench cluster` (`make bench-cluster`): turns per second through nginx with one
and with two Rasa replicas.

Starts its own cluster on free ports under var/bench-cluster, so it never touches a cluster
started with `make cluster`. The one-replica run stops replica 2 (nginx then sends every
request to replica 1); the two-replica run starts it again; a third run has one replica with
two Sanic worker processes. Same load each time. Writes reports/bench-cluster.json: this
run in detail (`throughput`) and the last ten runs' turns/s (`throughput_history`, carried
over from the report it replaces).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from bench import writer
from cluster.config import ClusterConfig
from cluster.processes import ROOT, Cluster, remove_files
from stack.learner import Endpoints
from stack.load import Driver, OneScript

# A short conversation that goes through NLU, rules and a custom action on most turns.
SCRIPT = (
    "hello",
    "I can't log in to my account",
    "no",
    "no",
    "thanks",
    "bye",
)
HISTORY_RUNS = 10


def _measure(url: str, concurrency: int, duration: float) -> dict[str, Any]:
    driver = Driver(Endpoints(url), OneScript(SCRIPT))
    return asyncio.run(driver.run_level(concurrency, duration)).summary()


def previous_history(path: Path) -> list[dict[str, Any]]:
    """The history of the report at `path` (none if there is no readable one)."""
    try:
        report = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return []
    return list(report.get("throughput_history", [])) if isinstance(report, dict) else []


def measure(duration: float, concurrency: int) -> dict[str, Any]:
    config = ClusterConfig.on_free_ports(ROOT / "var" / "bench-cluster")
    remove_files(config)
    cluster = Cluster(config).start()
    url = config.public_url
    try:
        _measure(url, 4, 5)  # warm-up: first requests load lazily initialised parts
        cluster.supervisor.stop("rasa-2")
        print(f"1 replica: {concurrency} conversations for {duration:.0f} s ...", flush=True)
        one = _measure(url, concurrency, duration)
        print(one, flush=True)
        cluster.supervisor.start("rasa-2")
        _measure(url, 4, 5)
        print(f"2 replicas: {concurrency} conversations for {duration:.0f} s ...", flush=True)
        two = _measure(url, concurrency, duration)
        print(two, flush=True)
        # One replica with two Sanic worker processes (allowed because the lock store is Redis).
        cluster.supervisor.stop("rasa-2")
        config.sanic_workers = 2
        cluster.apply()  # replaces (and stops) both replicas' programs
        cluster.supervisor.start("rasa-1")
        _measure(url, 4, 5)
        print(f"1 replica, 2 workers: {concurrency} conversations for {duration:.0f} s", flush=True)
        workers = _measure(url, concurrency, duration)
        print(workers, flush=True)
    finally:
        cluster.stop()
        remove_files(config)
    return {
        "setup": {
            "concurrency": concurrency,
            "seconds_per_run": duration,
            "sanic_workers_per_replica": 1,
            "path": "client -> nginx -> Rasa replica(s) -> nginx -> 2 action servers",
        },
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "one_replica": one,
        "two_replicas": two,
        "one_replica_two_sanic_workers": workers,
        "speedup": round(two["turns_per_s"] / one["turns_per_s"], 2)
        if one["turns_per_s"]
        else None,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--concurrency", type=int, default=20, help="conversations at once")
    writer.add_out(parser, "cluster")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    figures = measure(args.duration, args.concurrency)
    history = previous_history(args.out)
    history.append(
        {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "one_replica_tps": figures["one_replica"]["turns_per_s"],
            "two_replicas_tps": figures["two_replicas"]["turns_per_s"],
            "one_replica_two_workers_tps": figures["one_replica_two_sanic_workers"]["turns_per_s"],
            "load_average_after": figures["load_average_after"],
        }
    )
    body = {"throughput": figures, "throughput_history": history[-HISTORY_RUNS:]}
    report = writer.write("cluster", command, body, args.out)
    print(f"written to {args.out}")
    return report
