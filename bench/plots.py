"""The report's figures: throughput and p95 against traffic (median, min–max bars, knee
marked), and per-turn cost against the length of a conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {"stock": "tab:orange", "stock-on-ours": "tab:purple", "ours": "tab:blue"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bars(figures: list[dict[str, Any] | None]) -> tuple[list[float], list[list[float]]]:
    """Medians and the distances to min and max, as matplotlib's error bars want them."""
    mids = [f["median"] if f else float("nan") for f in figures]
    low = [f["median"] - f["min"] if f else 0.0 for f in figures]
    high = [f["max"] - f["median"] if f else 0.0 for f in figures]
    return mids, [low, high]


def traffic(configurations: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, (tps_ax, p95_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, run in configurations.items():
        colour = COLOURS.get(name)
        xs = [level["concurrency"] for level in run["levels"]]
        for axis, key in ((tps_ax, "turns_per_s"), (p95_ax, "p95_ms")):
            mids, err = _bars([level[key] for level in run["levels"]])
            axis.errorbar(xs, mids, yerr=err, fmt="o-", capsize=3, color=colour, label=name)
        if run.get("knee") is not None:
            tps_ax.axvline(run["knee"], color=colour, linestyle=":", alpha=0.7)
    tps_ax.set(
        xlabel="concurrent conversations (dotted: knee)",
        ylabel="turns per second",
        title="Throughput (median, min–max)",
        xscale="log",
    )
    tps_ax.set_ylim(bottom=0)
    p95_ax.set(
        xlabel="concurrent conversations",
        ylabel="p95 per turn (ms)",
        title="Latency p95 (median, min–max)",
        xscale="log",
        yscale="log",
    )
    _finish(plt, fig, (tps_ax, p95_ax), path)


def length(runs: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, (lat_ax, cpu_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, run in runs.items():
        colour = COLOURS.get(name)
        single = [p for p in run["points"] if p["sessions"] == 1]
        spread = [p for p in run["points"] if p["sessions"] > 1]
        for axis, key in ((lat_ax, "p50_ms"), (cpu_ax, "rasa_cpu_ms_per_turn")):
            axis.plot(
                [p["turn"] for p in single],
                [p[key] for p in single],
                "o-",
                color=colour,
                label=name,
            )
            if spread:
                axis.plot(
                    [p["turn"] for p in spread],
                    [p[key] for p in spread],
                    "*",
                    markersize=12,
                    color=colour,
                    label=f"{name}, {spread[0]['sessions']} sessions",
                )
    lat_ax.set(
        xlabel="turn of the conversation",
        ylabel="p50 per turn (ms)",
        title="Latency per turn",
        xscale="log",
        yscale="log",
    )
    cpu_ax.set(
        xlabel="turn of the conversation",
        ylabel="Rasa CPU per turn (ms)",
        title="Rasa CPU per turn",
        xscale="log",
        yscale="log",
    )
    _finish(plt, fig, (lat_ax, cpu_ax), path)


def _finish(plt: Any, fig: Any, axes: tuple[Any, ...], path: Path) -> None:
    for axis in axes:
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
