"""The benchmark's configurations and their running stacks: starting one, warming it up,
measuring it at a concurrency level, and a stack over a large tracker store
(bench/server.py and bench/length.py run them; bench/report.py sums up)."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import isnan
from pathlib import Path
from typing import Any

import aiohttp

from bench import models, scale, seed
from bench.conversations import LearnerFactory
from bench.rss import RssSampler, tree_cpu_s
from stack.load import Driver, LevelResult
from stack.processes import ROOT, Stack, StackConfig

# The learners share a few seeded demo accounts whose mail budgets (3 codes an hour, ...)
# are production limits; scaled as in the tests, so a code turn measures the assistant,
# not the abuse limits (which tests/faults/test_flood.py checks at their real values).
LIMITS_SCALE = 50.0


@dataclass(frozen=True)
class Configuration:
    name: str
    model: str  # which model of bench/models.py
    tuned: bool  # our server and tracker store (StackConfig.tuned)
    about: str


CONFIGURATIONS = {
    c.name: c
    for c in (
        Configuration("stock", "stock", False, "stock config, plain `rasa run`, Rasa's SQL store"),
        Configuration("stock-on-ours", "stock", True, "stock config on our server and store"),
        Configuration("ours", "ours", True, "our config on our server and store"),
    )
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Running:
    """One configuration's stack, up for the whole measurement."""

    configuration: Configuration
    stack: Stack
    driver: Driver
    sampler: RssSampler
    result: dict[str, Any]
    samples: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def rasa_pid(self) -> int:
        return self.sampler.pids["rasa"]


def start(configuration: Configuration, model: models.TrainedModel) -> Running:
    var_dir = models.BUILD / f"run-{configuration.name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    config = StackConfig.on_free_ports(
        var_dir,
        model=model.path,
        log_dir=var_dir / "logs",
        tuned=configuration.tuned,
        limits_scale=LIMITS_SCALE,
    )
    stack = Stack(config)
    t0 = time.monotonic()
    stack.start()
    ready = stack.supervisor.ready_at
    t1, t2, t3 = ready["account-service"], ready["action-server"], ready["rasa"]
    pids = stack.pids()
    result: dict[str, Any] = {
        "about": configuration.about,
        "model": str(model.path.relative_to(ROOT)),
        "tuned": configuration.tuned,
        "training_s": None if isnan(model.training_seconds) else round(model.training_seconds, 1),
        "model_bytes": model.size_bytes,
        "rasa_cpu_s_to_ready": round(tree_cpu_s(pids["rasa"]), 1),
        "startup_s": {
            "account_service": round(t1 - t0, 2),
            "action_server": round(t2 - t1, 2),
            "rasa_ready": round(t3 - t2, 2),
            "whole_stack": round(t3 - t0, 2),
        },
    }
    log(f"{configuration.name}: Rasa ready after {t3 - t2:.1f} s (whole stack {t3 - t0:.1f} s)")
    sampler = RssSampler(
        {
            "rasa": pids["rasa"],
            "actions": pids["action-server"],
            "accounts": pids["account-service"],
        }
    ).start()
    factory = LearnerFactory(run_id=f"{configuration.name}-{uuid.uuid4().hex[:6]}")
    driver = Driver(config, factory)
    running = Running(configuration, stack, driver, sampler, result)
    mark = time.monotonic()
    warm = asyncio.run(warmup(driver))
    result["warmup"] = {
        "turns": warm.turns,
        "first_turn_ms": round(warm.latencies_ms[0], 1) if warm.latencies_ms else None,
        "errors": warm.errors,
    }
    result["rss_after_ready_mb"] = sampler.peak_mb("rasa", mark, mark + 1)
    return running


async def warmup(driver: Driver, turns: int = 8) -> LevelResult:
    """The very first turns build lazily made parts; they are measured apart."""
    result = LevelResult(0)
    learner = driver.factory.next()
    async with aiohttp.ClientSession() as session:
        for template in (["hello"] + learner.turns)[:turns]:
            text = learner.render(template).replace("{code}", "123456")
            await driver.turn(session, learner.sender, text, result)
    driver.factory.done(learner)
    return result


def level_sample(running: Running, concurrency: int, seconds: float) -> dict[str, Any]:
    """One run of one level, with the CPU each process (and this load generator) spent."""
    since = time.monotonic()
    before = {key: tree_cpu_s(pid) for key, pid in running.sampler.pids.items()}
    own = time.process_time()
    level = asyncio.run(running.driver.run_level(concurrency, seconds))
    spent = {key: tree_cpu_s(pid) - before[key] for key, pid in running.sampler.pids.items()}
    spent["load_generator"] = time.process_time() - own
    summary = level.summary()
    summary["failed_turns"] = summary["errors"] + summary["empty_replies"]
    turns = max(level.turns, 1)
    summary["cpu_ms_per_turn"] = {key: round(s * 1000 / turns, 2) for key, s in spent.items()}
    summary["peak_rss_mb"] = {
        key: running.sampler.peak_mb(key, since) for key in running.sampler.pids
    }
    return summary


def measure_levels(runs: list[Running], levels: list[int], repeats: int, seconds: float) -> None:
    """Each level `repeats` times; the configurations' order rotates with each repeat."""
    for concurrency in levels:
        for repeat in range(repeats):
            shift = repeat % len(runs)
            for running in runs[shift:] + runs[:shift]:
                sample = level_sample(running, concurrency, seconds)
                running.samples.setdefault(concurrency, []).append(sample)
                log(
                    f"{running.configuration.name} c={concurrency} #{repeat + 1}: "
                    f"{sample['turns_per_s']} turns/s, p50 {sample['p50_ms']} ms, "
                    f"p95 {sample['p95_ms']} ms, Rasa CPU "
                    f"{sample['cpu_ms_per_turn']['rasa']} ms/turn, failed "
                    f"{sample['failed_turns']}, codes missing {sample['codes_missing']}"
                )


def startup_seconds(config: StackConfig) -> float:
    stack = Stack(config)
    try:
        stack.start()
        ready = stack.supervisor.ready_at
        return round(ready["rasa"] - ready["action-server"], 2)
    finally:
        stack.stop()


def ours_model(path: Path | None = None) -> models.TrainedModel:
    if path is None:
        return models.train("ours", log=log)
    return models.TrainedModel("ours", path.resolve(), float("nan"), path.stat().st_size, True)


def chosen(names: str) -> list[Configuration]:
    """Configurations by name, comma-separated."""
    return [CONFIGURATIONS[name] for name in names.split(",")]


def trained(
    configurations: list[Configuration], ours: Path | None
) -> dict[str, models.TrainedModel]:
    """Our model (`ours`, or trained from config.yml), and the stock one if one of the
    configurations runs it: {model name: models.TrainedModel}."""
    out = {"ours": ours_model(ours)}
    if any(c.model == "stock" for c in configurations):
        out["stock"] = models.train("stock", log=log)
    return out


@contextmanager
def started(
    configurations: list[Configuration], models_by_name: dict[str, models.TrainedModel]
) -> Iterator[list[Running]]:
    """Each configuration's stack up, side by side; their memory samplers and stacks are
    stopped on the way out."""
    runs: list[Running] = []
    try:
        for configuration in configurations:
            runs.append(start(configuration, models_by_name[configuration.model]))
        yield runs
    finally:
        for running in runs:
            running.sampler.stop()
            running.stack.stop()


def scale_report(
    tmpl: seed.Template, conversations: tuple[int, ...], model: Path
) -> dict[str, Any]:
    """Seeds the largest store once; start-up of our stack (with `model`) over it, then the
    kept-tracker cache's memory."""
    var_dir = models.BUILD / "run-ours-large-store"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    config = StackConfig.on_free_ports(
        var_dir, model=model, log_dir=var_dir / "logs", limits_scale=LIMITS_SCALE
    )
    seeded = time.monotonic()
    events = scale.seed_store(tmpl, config.tracker_db, max(conversations))
    out: dict[str, Any] = {
        "conversations": max(conversations),
        "events": events,
        "seed_s": round(time.monotonic() - seeded, 1),
    }
    log(f"seeded {events} events in {out['seed_s']} s")
    out["startup_s"] = startup_seconds(config)
    log(f"our stack over {events} events: Rasa ready after {out['startup_s']} s")
    out["kept_memory"] = []
    for count in conversations:
        measured = scale.kept_memory(config.tracker_db, count)
        out["kept_memory"].append(measured)
        log(f"kept trackers after loading {count} conversations: {measured}")
    return out
