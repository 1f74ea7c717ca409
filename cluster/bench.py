"""Turns per second through nginx with one and with two Rasa replicas (`make cluster-bench`).

Starts its own cluster on free ports under var/cluster-bench, so it never touches a cluster
started with `make cluster`. The one-replica run stops replica 2 (nginx then sends every
request to replica 1); the two-replica run starts it again; a third run has one replica with
two Sanic worker processes. Same load each time.
"""

from __future__ import annotations

import asyncio
import os
import platform
import time
from pathlib import Path
from typing import Any

from cluster.config import ClusterConfig
from cluster.load import drive, read_report, update_report
from cluster.processes import ROOT, Cluster, remove_files


def _measure(url: str, concurrency: int, duration: float) -> dict[str, Any]:
    deadline = time.monotonic() + duration
    result = asyncio.run(drive(url, concurrency, lambda: time.monotonic() >= deadline))
    return result.summary()


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
        "speedup": round(two["turns_per_second"] / one["turns_per_second"], 2)
        if one["turns_per_second"]
        else None,
    }
    update_report(output, "throughput", figures)
    history = list(read_report(output).get("throughput_history", []))
    history.append(
        {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "one_replica_tps": one["turns_per_second"],
            "two_replicas_tps": two["turns_per_second"],
            "one_replica_two_workers_tps": workers["turns_per_second"],
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        }
    )
    update_report(output, "throughput_history", history[-10:])
    print(f"written to {output}")
    return figures
