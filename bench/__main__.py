"""`python -m bench`: the whole-conversation load benchmark, ours against stock Rasa.

Starts each stack on free ports with its own var dir, measures start-up, then drives
scripted learners through complete conversations over REST at each concurrency level,
sampling the memory of the Rasa server and the action server as it goes.
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
from pathlib import Path
from typing import Any

from bench import models
from bench.conversations import LearnerFactory
from bench.load import Driver
from bench.rss import RssSampler, tree_cpu_s
from stack.processes import ROOT, Stack, StackConfig

REPORTS = ROOT / "reports"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_stack(
    name: str,
    model: Path,
    levels: list[int],
    seconds: float,
    *,
    tuned: bool,
    warmup_turns: int = 8,
) -> dict[str, Any]:
    var_dir = models.BUILD / f"run-{name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    config = StackConfig.on_free_ports(var_dir, model=model, log_dir=var_dir / "logs", tuned=tuned)
    stack = Stack(config)
    result: dict[str, Any] = {"name": name, "model": str(model.relative_to(ROOT)), "tuned": tuned}
    try:
        t0 = time.monotonic()
        stack.start()
        ready = stack.supervisor.ready_at
        t1, t2, t3 = ready["account-service"], ready["action-server"], ready["rasa"]
        pids = stack.pids()
        result["rasa_cpu_s_to_ready"] = round(tree_cpu_s(pids["rasa"]), 1)
        result["startup_s"] = {
            "account_service": round(t1 - t0, 2),
            "action_server": round(t2 - t1, 2),
            "rasa_ready": round(t3 - t2, 2),
            "whole_stack": round(t3 - t0, 2),
        }
        log(f"{name}: Rasa ready after {t3 - t2:.1f} s (whole stack {t3 - t0:.1f} s)")
        sampler = RssSampler({"rasa": pids["rasa"], "actions": pids["action-server"]}).start()
        ready_mark = time.monotonic()
        factory = LearnerFactory(run_id=f"{name}-{uuid.uuid4().hex[:6]}")
        driver = Driver(config.rasa_url, config.account_url, config.api_key, factory)
        # Warm-up: the very first turns load lazily built parts; measured apart.
        first = time.perf_counter()
        warm = asyncio.run(_warmup(driver, warmup_turns))
        result["warmup"] = {
            "turns": warm.turns,
            "first_turn_ms": round(warm.latencies_ms[0], 1) if warm.latencies_ms else None,
            "seconds": round(time.perf_counter() - first, 2),
            "errors": warm.errors,
        }
        result["rss_after_ready_mb"] = {
            "rasa": sampler.peak_mb("rasa", ready_mark, ready_mark + 1),
            "actions": sampler.peak_mb("actions", ready_mark, ready_mark + 1),
        }
        result["levels"] = []
        for concurrency in levels:
            since = time.monotonic()
            cpu_before = {key: tree_cpu_s(pid) for key, pid in sampler.pids.items()}
            level = asyncio.run(driver.run_level(concurrency, seconds))
            summary = level.summary()
            summary["cpu_ms_per_turn"] = {
                key: round((tree_cpu_s(pid) - cpu_before[key]) * 1000 / max(level.turns, 1), 1)
                for key, pid in sampler.pids.items()
            }
            summary["peak_rss_mb"] = {
                "rasa": sampler.peak_mb("rasa", since),
                "actions": sampler.peak_mb("actions", since),
            }
            result["levels"].append(summary)
            log(
                f"{name} c={concurrency}: {summary['turns_per_s']} turns/s, "
                f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
                f"Rasa CPU {summary['cpu_ms_per_turn']['rasa']} ms/turn, "
                f"errors {summary['errors']}, empty {summary['empty_replies']}, "
                f"fallback {summary['fallback_replies']}, codes missing {summary['codes_missing']}"
            )
        sampler.stop()
        result["peak_rss_mb"] = {
            "rasa": sampler.peak_mb("rasa"),
            "actions": sampler.peak_mb("actions"),
        }
        result["rss_samples"] = {
            key: [(round(t - ready_mark, 2), kb) for t, kb in values]
            for key, values in sampler.samples.items()
        }
    finally:
        stack.stop()
    return result


async def _warmup(driver: Driver, turns: int) -> Any:
    from bench.load import LevelResult

    result = LevelResult(0)
    learner = driver.factory.next()
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for template in (["hello"] + learner.turns)[:turns]:
            text = learner.render(template).replace("{code}", "123456")
            await driver.turn(session, learner.sender, text, result)
    driver.factory.done(learner)
    return result


def ratios(ours: dict[str, Any], stock: dict[str, Any]) -> dict[str, Any]:
    def level(run: dict[str, Any], concurrency: int) -> dict[str, Any]:
        return next((lv for lv in run["levels"] if lv["concurrency"] == concurrency), {})

    def div(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    out: dict[str, Any] = {}
    c20, c1 = (20, 1)
    out["turns_per_s_at_20"] = div(
        level(ours, c20).get("turns_per_s"), level(stock, c20).get("turns_per_s")
    )
    out["p50_single_user"] = div(level(ours, c1).get("p50_ms"), level(stock, c1).get("p50_ms"))
    out["rasa_peak_rss"] = div(ours["peak_rss_mb"]["rasa"], stock["peak_rss_mb"]["rasa"])
    out["start_to_ready"] = div(ours["startup_s"]["rasa_ready"], stock["startup_s"]["rasa_ready"])
    out["training_time"] = div(ours["training_s"], stock["training_s"])
    out["model_size"] = div(ours["model_bytes"], stock["model_bytes"])
    return out


def targets(ratio: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    top = max(ours["levels"], key=lambda lv: lv["concurrency"])

    def check(value: float | None, ok: bool) -> dict[str, Any]:
        return {"value": value, "met": bool(value is not None and ok)}

    tps, p50 = ratio["turns_per_s_at_20"], ratio["p50_single_user"]
    rss, ready = ratio["rasa_peak_rss"], ratio["start_to_ready"]
    return {
        "turns_per_s_at_20 >= 3x stock": check(tps, tps is not None and tps >= 3),
        "single-user p50 <= 0.4x stock": check(p50, p50 is not None and p50 <= 0.4),
        f"no errors or empty replies at {top['concurrency']}": check(
            top["errors"] + top["empty_replies"],
            top["errors"] == 0 and top["empty_replies"] == 0,
        ),
        "Rasa peak RSS <= 0.75x stock": check(rss, rss is not None and rss <= 0.75),
        "start-to-ready <= 0.5x stock": check(ready, ready is not None and ready <= 0.5),
    }


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat_ax, tps_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for run, colour in zip(runs, ["tab:blue", "tab:orange", "tab:green"], strict=False):
        xs = [lv["concurrency"] for lv in run["levels"]]
        label = run["name"]
        lat_ax.plot(
            xs, [lv["p50_ms"] for lv in run["levels"]], "o-", color=colour, label=f"{label} p50"
        )
        lat_ax.plot(
            xs, [lv["p95_ms"] for lv in run["levels"]], "s--", color=colour, label=f"{label} p95"
        )
        tps_ax.plot(
            xs, [lv["turns_per_s"] for lv in run["levels"]], "o-", color=colour, label=label
        )
    lat_ax.set(
        xlabel="concurrent conversations",
        ylabel="latency per turn (ms)",
        title="Latency per turn",
        yscale="log",
    )
    tps_ax.set(xlabel="concurrent conversations", ylabel="turns per second", title="Throughput")
    tps_ax.set_ylim(bottom=0)
    for axis in (lat_ax, tps_ax):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="1,10,20,50")
    parser.add_argument("--seconds", type=float, default=20.0, help="per concurrency level")
    parser.add_argument("--no-stock", action="store_true", help="benchmark our config only")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run our model with the stack's speed settings turned off",
    )
    parser.add_argument("--model", type=Path, help="our model (default: trained from config.yml)")
    parser.add_argument("--out", type=Path, default=REPORTS / "bench.json")
    parser.add_argument("--plot", type=Path, default=REPORTS / "bench.png")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]

    if args.model:
        ours_model = models.TrainedModel(
            "ours", args.model.resolve(), float("nan"), args.model.stat().st_size, cached=True
        )
    else:
        ours_model = models.train("ours", log=log)
    plan = [("ours", ours_model, True)]
    if args.baseline:
        plan.append(("ours-untuned", ours_model, False))
    if not args.no_stock:
        stock_model = models.train("stock", log=log)
        plan.append(("stock", stock_model, False))

    report: dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_start": os.getloadavg(),
        },
        "settings": {"levels": levels, "seconds_per_level": args.seconds},
        "runs": [],
    }
    for name, model, tuned in plan:
        run = run_stack(name, model.path, levels, args.seconds, tuned=tuned)
        run["training_s"] = (
            None
            if model.training_seconds != model.training_seconds
            else round(model.training_seconds, 1)
        )
        run["model_bytes"] = model.size_bytes
        report["runs"].append(run)
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    by_name = {run["name"]: run for run in report["runs"]}
    if "stock" in by_name:
        report["ratios_ours_over_stock"] = ratios(by_name["ours"], by_name["stock"])
        report["targets"] = targets(report["ratios_ours_over_stock"], by_name["ours"])
    raw_dir = REPORTS / "bench-raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (raw_dir / f"bench-{stamp}.json").write_text(json.dumps(report, indent=1))
    for run in report["runs"]:
        run.pop("rss_samples", None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_plot:
        plot(report["runs"], args.plot)
    log(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if "targets" in report:
        for target, outcome in report["targets"].items():
            log(f"{'MET ' if outcome['met'] else 'MISS'} {target}: {outcome['value']}")
    return report


if __name__ == "__main__":
    main()
