"""The server scenario's report (bench/server.py): medians and spreads per level, ratios
between configurations, the ceiling on this machine's cores, the targets, and the files it
writes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench import plots, writer
from bench.runs import (
    Running,
    log,
)
from bench.stats import knee, mid, ratio, spreads

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


# (numerator, denominator, what the ratio shows)
COMPARISONS = (
    ("ours", "stock", "total"),
    ("stock-on-ours", "stock", "server gain"),
    ("ours", "stock-on-ours", "config gain"),
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


def write(report: dict[str, Any], runs: list[Running], out: Path, command: str) -> dict[str, Any]:
    """The report, its figures beside it (<out>.png, <out>-length.png), and the memory samples
    in reports/bench-raw/; the report as written."""
    raw_dir = writer.REPORTS / "bench-raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    rss = {
        r.configuration.name: {
            key: [(round(t, 2), kb) for t, kb in values]
            for key, values in r.sampler.samples.items()
        }
        for r in runs
    }
    written = writer.write("server", command, report, out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (raw_dir / f"server-{stamp}.json").write_text(json.dumps({**written, "rss_samples": rss}))
    plots.traffic(report["configurations"], writer.beside(out, ".png"))
    if report.get("length"):
        plots.length(report["length"], writer.beside(out, "-length.png"))
    log(f"wrote {out}")
    return written
