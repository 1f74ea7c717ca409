"""`python -m bench`: the whole-conversation load benchmark, three configurations side by side.

- **stock**: Rasa's stock configuration through plain `rasa run` with Rasa's SQL store;
- **stock-on-ours**: the same model on our server (rasa_addons.server, the kept-tracker store);
- **ours**: our configuration on our server.
stock-on-ours / stock is the server's gain, ours / stock-on-ours the configuration's.

All stacks run at once on free ports (idle while another is measured). Every concurrency
level is run `--repeats` times, the configurations taking turns in a rotating order, so a
busy moment of the machine falls on all of them; the report gives the median and min–max
of every figure and the ratios of medians. Then the cost of one turn as a conversation grows
(bench/length.py), and, with the stacks stopped, memory and start-up over a large tracker
store (bench/scale.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import time
import uuid
from dataclasses import dataclass, field
from math import isnan
from pathlib import Path
from typing import Any

import aiohttp

from bench import history, length, models, plots, scale, seed
from bench.conversations import LearnerFactory
from bench.load import Driver, LevelResult
from bench.rss import RssSampler, tree_cpu_s
from bench.stats import knee, mid, ratio, spreads
from stack.processes import ROOT, Stack, StackConfig

REPORTS = ROOT / "reports"
# The learners share a few seeded demo accounts whose mail budgets (3 codes an hour, ...)
# are production limits; scaled as in the tests, so a code turn measures the assistant,
# not the abuse limits (which tests/faults/test_flood.py checks at their real values).
LIMITS_SCALE = 50.0
# The figures of each level that get a median and min–max.
FIGURES = (
    "turns_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "failed_turns",
    "cpu_ms_per_turn.rasa",
    "cpu_ms_per_turn.actions",
    "cpu_ms_per_turn.accounts",
    "cpu_ms_per_turn.load_generator",
    "peak_rss_mb.rasa",
)


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
# (numerator, denominator, what the ratio shows)
COMPARISONS = (
    ("ours", "stock", "total"),
    ("stock-on-ours", "stock", "server gain"),
    ("ours", "stock-on-ours", "config gain"),
)


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
    driver = Driver(config.rasa_url, config.account_url, config.api_key, factory)
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


def summarize(running: Running) -> dict[str, Any]:
    """The configuration's levels as spreads, its knee and its peak memory."""
    result = running.result
    result["levels"] = [
        {
            "concurrency": concurrency,
            **spreads(samples, FIGURES),
            "failed_turns_total": sum(s["failed_turns"] for s in samples),
            "codes_missing_total": sum(s["codes_missing"] for s in samples),
            "fallback_replies_total": sum(s["fallback_replies"] for s in samples),
            "samples": samples,
        }
        for concurrency, samples in running.samples.items()
    ]
    result["knee"] = knee(
        [(level["concurrency"], mid(level["turns_per_s"])) for level in result["levels"]]
    )
    result["peak_rss_mb"] = {key: running.sampler.peak_mb(key) for key in running.sampler.pids}
    return result


def at(run: dict[str, Any], concurrency: int, figure: str) -> float | None:
    level = next((lv for lv in run.get("levels", []) if lv["concurrency"] == concurrency), None)
    return mid(level.get(figure)) if level else None


def ratios(configurations: dict[str, Any]) -> dict[str, Any]:
    """Each comparison's ratios of medians (single samples: peak RSS, start-up, training)."""
    out: dict[str, Any] = {}
    for top, bottom, meaning in COMPARISONS:
        if top not in configurations or bottom not in configurations:
            continue
        a, b = configurations[top], configurations[bottom]
        out[f"{top} / {bottom}"] = {
            "shows": meaning,
            "turns_per_s_at_20": ratio(at(a, 20, "turns_per_s"), at(b, 20, "turns_per_s")),
            "p50_single_user": ratio(at(a, 1, "p50_ms"), at(b, 1, "p50_ms")),
            "p95_at_20": ratio(at(a, 20, "p95_ms"), at(b, 20, "p95_ms")),
            "rasa_cpu_per_turn_single_user": ratio(
                at(a, 1, "cpu_ms_per_turn.rasa"), at(b, 1, "cpu_ms_per_turn.rasa")
            ),
            "rasa_peak_rss": ratio(a["peak_rss_mb"]["rasa"], b["peak_rss_mb"]["rasa"]),
            "start_to_ready": ratio(a["startup_s"]["rasa_ready"], b["startup_s"]["rasa_ready"]),
        }
    return out


def ceiling(run: dict[str, Any], cores: int) -> dict[str, Any] | None:
    """Turns/s the machine could give at most with the CPU per turn at 20 conversations (or
    the busiest level below): one Rasa process uses one core at most; all processes, the
    load generator included, share all cores."""
    levels = [lv["concurrency"] for lv in run.get("levels", [])]
    concurrency = 20 if 20 in levels else max((c for c in levels if c < 20), default=None)
    if concurrency is None:
        return None
    parts = {
        key: at(run, concurrency, f"cpu_ms_per_turn.{key}")
        for key in ("rasa", "actions", "accounts", "load_generator")
    }
    if any(value is None or value <= 0 for value in (parts["rasa"],)):
        return None
    total = sum(value or 0.0 for value in parts.values())
    rasa_bound = 1000 / float(parts["rasa"] or 1)
    machine_bound = cores * 1000 / total
    bound = min(rasa_bound, machine_bound)
    measured = at(run, concurrency, "turns_per_s")
    return {
        "concurrency": concurrency,
        "cpu_ms_per_turn": parts,
        "one_rasa_process_turns_per_s": round(rasa_bound, 1),
        "all_cores_turns_per_s": round(machine_bound, 1),
        "ceiling_turns_per_s": round(bound, 1),
        "measured_turns_per_s": measured,
        "share_of_ceiling": ratio(measured, bound),
    }


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, from medians; a target whose figures were not measured is left out."""
    runs = report["configurations"]
    out: dict[str, Any] = {}

    def check(name: str, value: float | None, ok: bool) -> None:
        if value is not None:
            out[name] = {"value": value, "met": ok}

    total = report["ratios"].get("ours / stock", {})
    tps, p50 = total.get("turns_per_s_at_20"), total.get("p50_single_user")
    rss = total.get("rasa_peak_rss")
    check("turns/s at 20 >= 5x stock", tps, tps is not None and tps >= 5)
    check("single-user p50 <= 0.25x stock", p50, p50 is not None and p50 <= 0.25)
    check("Rasa peak RSS <= 0.5x stock", rss, rss is not None and rss <= 0.5)
    ours = runs.get("ours", {})
    level = next((lv for lv in ours.get("levels", []) if lv["concurrency"] == 100), None)
    if level is not None:
        failed = level["failed_turns_total"]
        check("0 failed turns at 100 (all repeats)", failed, failed == 0)
    points = report.get("length", {}).get("ours", {}).get("points", [])
    growth = next((p["cpu_over_first_point"] for p in points if p["point"] == "turn 2000"), None)
    check("Rasa CPU per turn at turn 2000 <= 1.2x turn 10", growth, (growth or 99) <= 1.2)
    return out


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
    out["startup_s"] = _startup(config)
    log(f"our stack over {events} events: Rasa ready after {out['startup_s']} s")
    out["kept_memory"] = []
    for count in conversations:
        measured = scale.kept_memory(config.tracker_db, count)
        out["kept_memory"].append(measured)
        log(f"kept trackers after loading {count} conversations: {measured}")
    return out


def _startup(config: StackConfig) -> float:
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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: ours and stock-on-ours, levels 1,10, 4 s, one repeat",
    )
    parser.add_argument("--levels", help="concurrency levels (default 1,10,20,50,100,200)")
    parser.add_argument("--seconds", type=float, help="per sample of a level (default 15)")
    parser.add_argument("--repeats", type=int, help="samples per level (default 3)")
    parser.add_argument("--configurations", help=f"of {','.join(CONFIGURATIONS)} (default all)")
    parser.add_argument("--model", type=Path, help="our model (default: trained from config.yml)")
    parser.add_argument("--no-length", action="store_true", help="skip bench/length.py")
    parser.add_argument("--no-scale", action="store_true", help="skip bench/scale.py")
    parser.add_argument("--out", type=Path, help="default reports/bench.json (quick: bench-raw)")
    args = parser.parse_args(argv)
    quick = args.quick
    levels = [
        int(x) for x in (args.levels or ("1,10" if quick else "1,10,20,50,100,200")).split(",")
    ]
    seconds = args.seconds or (4.0 if quick else 15.0)
    repeats = args.repeats or (1 if quick else 3)
    names = args.configurations or ("ours,stock-on-ours" if quick else ",".join(CONFIGURATIONS))
    chosen = [CONFIGURATIONS[name] for name in names.split(",")]
    checkpoints = (10, 100) if quick else length.CHECKPOINTS
    sessions = 5 if quick else length.SESSIONS
    store_sizes = (1_000,) if quick else scale.CONVERSATIONS
    out = args.out or (REPORTS / "bench-raw" / "quick.json" if quick else REPORTS / "bench.json")

    trained = {"ours": ours_model(args.model)}
    if any(c.model == "stock" for c in chosen):
        trained["stock"] = models.train("stock", log=log)
    report: dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_start": os.getloadavg(),
        },
        "settings": {
            "quick": quick,
            "levels": levels,
            "seconds_per_sample": seconds,
            "repeats": repeats,
            "limits_scale": LIMITS_SCALE,
            "configurations": [c.name for c in chosen],
        },
    }
    runs: list[Running] = []
    try:
        for configuration in chosen:
            runs.append(start(configuration, trained[configuration.model]))
        measure_levels(runs, levels, repeats, seconds)
        if not args.no_length:
            report["length"] = {}
            for running in runs:
                log(f"{running.configuration.name}: cost per turn as a conversation grows")
                report["length"][running.configuration.name] = length.measure(
                    running.stack.config.rasa_url,
                    running.stack.config.tracker_db,
                    running.rasa_pid,
                    checkpoints=checkpoints,
                    sessions=sessions,
                )
        for running in runs:
            running.sampler.stop()
    finally:
        for running in runs:
            running.stack.stop()
    report["configurations"] = {r.configuration.name: summarize(r) for r in runs}
    # Our stack's conversations, when it ran, are the templates and the subjects below.
    main_run = next((r for r in runs if r.configuration.name == "ours"), runs[0])
    db = main_run.stack.config.tracker_db
    if report.get("length"):
        # Where the growth comes from, on the conversations of the length points.
        curve = report["length"][main_run.configuration.name]
        senders = [point["sender"] for point in curve["points"]]
        report["length_parts"] = {
            "configuration": main_run.configuration.name,
            "points": history.measure(db, senders),
        }
    if not args.no_scale:
        report["scale"] = scale_report(seed.template(db), store_sizes, trained["ours"].path)
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    report["ratios"] = ratios(report["configurations"])
    cores = os.cpu_count() or 1
    report["ceiling"] = {
        name: ceiling(run, cores) for name, run in report["configurations"].items()
    }
    report["targets"] = targets(report)
    write(report, runs, out)
    for target, outcome in report["targets"].items():
        log(f"{'MET ' if outcome['met'] else 'MISS'} {target}: {outcome['value']}")
    return report


def write(report: dict[str, Any], runs: list[Running], out: Path) -> None:
    """The report, its figures beside it, and the memory samples in reports/bench-raw/."""
    raw_dir = REPORTS / "bench-raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    rss = {
        r.configuration.name: {
            key: [(round(t, 2), kb) for t, kb in values]
            for key, values in r.sampler.samples.items()
        }
        for r in runs
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (raw_dir / f"bench-{stamp}.json").write_text(json.dumps({**report, "rss_samples": rss}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    plots.traffic(report["configurations"], out.with_suffix(".png"))
    if report.get("length"):
        plots.length(report["length"], out.with_name(f"{out.stem}-length.png"))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
