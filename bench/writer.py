"""The one writer of the benchmark reports: every scenario's reports/bench-<scenario>.json
starts with the same header (the scenario, when it was generated in UTC, the machine and
the command line), then the scenario's own sections; a Markdown rendering goes beside it
when the scenario has one."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stack.processes import ROOT

REPORTS = ROOT / "reports"
HEADER = ("scenario", "generated", "machine", "command")


def default_out(scenario: str) -> Path:
    """reports/bench-<scenario>.json."""
    return REPORTS / f"bench-{scenario}.json"


def add_out(parser: argparse.ArgumentParser, scenario: str) -> None:
    """The --out option every scenario has (bench/__main__.py resolves it with `out_of`)."""
    parser.add_argument(
        "--out",
        type=Path,
        help=f"the report (default reports/bench-{scenario}.json; with --quick, where there is "
        f"one, reports/bench-raw/{scenario}-quick.json, not committed)",
    )


def out_of(args: argparse.Namespace, scenario: str) -> Path:
    """--out, or the scenario's report (its quick run's in reports/bench-raw/)."""
    if args.out is not None:
        return Path(args.out)
    if getattr(args, "quick", False):
        return REPORTS / "bench-raw" / f"{scenario}-quick.json"
    return default_out(scenario)


def beside(out: Path, suffix: str) -> Path:
    """A file of the same report: bench-server.json -> bench-server<suffix>."""
    return out.with_name(out.stem + suffix)


def header(scenario: str, command: str) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "command": command,
    }


def write(
    scenario: str,
    command: str,
    body: dict[str, Any],
    out: Path,
    markdown: Callable[[dict[str, Any]], str] | None = None,
) -> dict[str, Any]:
    """Writes the header and `body` to `out` (and `markdown` of it to out's .md); the report."""
    clash = set(HEADER) & set(body)
    if clash:
        raise ValueError(f"the header's own keys in a {scenario} report: {sorted(clash)}")
    report = {**header(scenario, command), **body}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    if markdown is not None:
        out.with_suffix(".md").write_text(markdown(report))
    return report


def when(report: dict[str, Any]) -> str:
    """The header's time as the Markdown renderings give it: 2026-12-05 10:42 UTC."""
    return time.strftime(
        "%Y-%m-%d %H:%M UTC", time.strptime(report["generated"], "%Y-%m-%dT%H:%M:%SZ")
    )
