"""`python -m bench.profile`: where the loaded Rasa server spends its CPU.

Starts our stack as the benchmark does, drives learners at one concurrency level while
py-spy samples the Rasa server, and prints the functions with the largest inclusive share
of the samples (and writes py-spy's collapsed stacks for a flame graph).
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

from bench import models
from bench.__main__ import CONFIGURATIONS, LIMITS_SCALE, log, ours_model, warmup
from bench.conversations import LearnerFactory
from bench.load import Driver
from stack.processes import BIN, Stack, StackConfig


def inclusive_shares(collapsed: Path, match: str) -> list[tuple[float, str]]:
    """Share of samples in which each frame whose text contains `match` is on the stack."""
    counts: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        samples = int(number)
        total += samples
        frames = {
            frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].split(":")[0]
            for frame in stack.split(";")
            if match in frame
        }
        for frame in frames:
            counts[frame] += samples
    return sorted(((n / max(total, 1), frame) for frame, n in counts.items()), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configuration", default="ours", choices=list(CONFIGURATIONS))
    parser.add_argument("--model", type=Path, help="our model (default: trained from config.yml)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--match", default="", help="only frames containing this text")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", type=Path, default=models.BUILD / "profile.txt")
    args = parser.parse_args()
    configuration = CONFIGURATIONS[args.configuration]
    model = ours_model(args.model) if configuration.model == "ours" else models.train("stock")
    var_dir = models.BUILD / f"profile-{configuration.name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    config = StackConfig.on_free_ports(
        var_dir, model=model.path, tuned=configuration.tuned, limits_scale=LIMITS_SCALE
    )
    stack = Stack(config).start()
    try:
        factory = LearnerFactory(run_id=f"profile-{uuid.uuid4().hex[:6]}")
        driver = Driver(config.rasa_url, config.account_url, config.api_key, factory)
        asyncio.run(warmup(driver))
        record = [
            str(BIN / "py-spy"),
            "record",
            "--pid",
            str(stack.pids()["rasa"]),
            "--duration",
            str(int(args.seconds)),
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(args.out),
        ]
        spy = threading.Thread(target=subprocess.run, args=(record,), kwargs={"check": True})
        spy.start()
        level = asyncio.run(driver.run_level(args.concurrency, args.seconds + 2))
        spy.join()
    finally:
        stack.stop()
    summary = level.summary()
    log(
        f"{summary['turns_per_s']} turns/s, p50 {summary['p50_ms']} ms, "
        f"failed {summary['errors'] + summary['empty_replies']}, "
        f"codes missing {summary['codes_missing']}"
    )
    for share, frame in inclusive_shares(args.out, args.match)[: args.top]:
        print(f"{share:6.1%}  {frame}")


if __name__ == "__main__":
    main()
