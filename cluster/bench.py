"""Turns per second through nginx with one and with two Rasa replicas (`make cluster-bench`).

Starts its own cluster on free ports under var/cluster-bench, so it never touches a cluster
started with `make cluster`. The one-replica run stops replica 2 (nginx then sends every
request to replica 1); the two-replica run starts it again; a third run has one replica with
two Sanic worker processes. Same load each time.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

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


def _measure(url: str, concurrency: int, duration: float) -> dict[str, Any]:
    driver = Driver(Endpoints(url), OneScript(SCRIPT))
    return asyncio.run(driver.run_level(concurrency, duration)).summary()


def read_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return report if isinstance(report, dict) else {}


def update_report(path: Path, key: str, value: Any) -> None:
    """reports/cluster.json holds one section per producer (the benchmark and its history)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = read_report(path)
    report[key] = value
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")


def run_benchmark(duration: float, concurrency: int, output: Path) -> dict[str, Any]:
    config = ClusterConfig.on_free_ports(ROOT / "var" / "cluster-bench")
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
    figures = {
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        },
        "setup": {
            "concurrency": concurrency,
            "seconds_per_run": duration,
            "sanic_workers_per_replica": 1,
            "path": "client -> nginx -> Rasa replica(s) -> nginx -> 2 action servers",
        },
        "one_replica": one,
        "two_replicas": two,
        "one_replica_two_sanic_workers": workers,
        "speedup": round(two["turns_per_s"] / one["turns_per_s"], 2)
        if one["turns_per_s"]
        else None,
    }
    update_report(output, "throughput", figures)
    history = list(read_report(output).get("throughput_history", []))
    history.append(
        {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "one_replica_tps": one["turns_per_s"],
            "two_replicas_tps": two["turns_per_s"],
            "one_replica_two_workers_tps": workers["turns_per_s"],
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        }
    )
    update_report(output, "throughput_history", history[-10:])
    print(f"written to {output}")
    return figures
