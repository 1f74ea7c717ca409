"""Turns per second through nginx with one and with two Rasa replicas (`make cluster-bench`).

Starts its own cluster on free ports under var/cluster-bench, so it never touches a cluster
started with `make cluster`. The one-replica run stops replica 2 (nginx then sends every
request to replica 1); the two-replica run starts it again. Same load both times.
"""

from __future__ import annotations

import asyncio
import os
import platform
import time
from pathlib import Path
from typing import Any

from cluster.load import drive, update_report
from cluster.processes import ROOT, Cluster, ClusterConfig, remove_files


def _measure(url: str, concurrency: int, duration: float) -> dict[str, Any]:
    deadline = time.monotonic() + duration
    result = asyncio.run(drive(url, concurrency, lambda: time.monotonic() >= deadline))
    return result.summary()


def run_benchmark(duration: float, concurrency: int, output: Path) -> dict[str, Any]:
    config = ClusterConfig.on_free_ports(ROOT / "var" / "cluster-bench")
    remove_files(config)
    cluster = Cluster(config).start()
    url = f"{config.public_url}/webhooks/rest/webhook"
    try:
        _measure(url, 4, 5)  # warm-up: first requests load lazily initialised parts
        cluster.stop_process("rasa-2")
        print(f"1 replica: {concurrency} conversations for {duration:.0f} s ...", flush=True)
        one = _measure(url, concurrency, duration)
        print(one, flush=True)
        process = cluster.spawn_rasa(1)
        cluster.wait_rasa(1, process)
        _measure(url, 4, 5)
        print(f"2 replicas: {concurrency} conversations for {duration:.0f} s ...", flush=True)
        two = _measure(url, concurrency, duration)
        print(two, flush=True)
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
            "sanic_workers_per_replica": config.sanic_workers,
            "path": "client -> nginx -> Rasa replica(s) -> nginx -> 2 action servers",
        },
        "one_replica": one,
        "two_replicas": two,
        "speedup": round(two["turns_per_second"] / one["turns_per_second"], 2)
        if one["turns_per_second"]
        else None,
    }
    update_report(output, "throughput", figures)
    print(f"written to {output}")
    return figures
