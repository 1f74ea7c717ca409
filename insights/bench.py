"""`make insights-bench`: how long the page takes on 50,000 conversations, SQLite and PostgreSQL.

Seeds each database with the same synthetic conversations (insights/seed.py), adds the
insights' indexes, then times what a GET /insights does: every measure of the whole seeded
period and the page with its charts. Writes reports/insights-bench.json and .md.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from insights import sql
from insights.article import load
from insights.measures import Measures, Period
from insights.report import render
from insights.seed import seed
from insights.summary import refresh
from stack import postgres

REPORTS = Path(__file__).resolve().parent.parent / "reports"
TARGET_SECONDS = 5.0


def time_page(engine: sa.engine.Engine, period: Period, runs: int) -> dict[str, Any]:
    measures = Measures(engine)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        insights = measures.compute(period)
        queried = time.perf_counter()
        render(insights)
        timings.append((queried - started, time.perf_counter() - started))
    return {
        "queries_s": [round(query, 2) for query, _ in timings],
        "page_s": [round(total, 2) for _, total in timings],
        "page_median_s": round(statistics.median(total for _, total in timings), 2),
        "page_max_s": round(max(total for _, total in timings), 2),
        "conversations_measured": insights.summary["conversations"],
        "messages_measured": insights.summary["messages"],
    }


def one(engine: sa.engine.Engine, conversations: int, days: int, runs: int) -> dict[str, Any]:
    """Seeds, builds the index and the summary table, then times the page: steady, and
    right after 100 new conversations arrived (what a page load meets while people chat)."""
    started = time.perf_counter()
    rows = seed(engine, conversations, days=days)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    sql.ensure_indexes(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE events"))
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    refresh(engine, load())
    built = time.perf_counter() - started
    period = Period.last_days(days)
    result = time_page(engine, period, runs)
    seed(engine, 100, days=1, seed=8, prefix="arrived")
    after_new = time_page(engine, period, 1)
    return {
        "events": rows,
        "seed_s": round(seeded, 1),
        "index_s": round(indexed, 1),
        "summary_build_s": round(built, 1),
        **result,
        "page_after_100_new_s": after_new["page_s"][0],
    }


def run(conversations: int, days: int, runs: int, out_dir: Path = REPORTS) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "conversations": conversations,
        "days": days,
        "runs": runs,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "target_s": TARGET_SECONDS,
        "command": f"python -m insights bench --conversations {conversations}",
        "results": {},
    }
    with tempfile.TemporaryDirectory(prefix="insights-bench-", dir="/var/tmp") as directory:
        engine = sa.create_engine(f"sqlite:///{directory}/tracker.db")
        report["results"]["sqlite"] = one(engine, conversations, days, runs)
        engine.dispose()
    if postgres.available():
        with postgres.temporary_postgres() as url:
            engine = sa.create_engine(url)
            report["results"]["postgresql"] = one(engine, conversations, days, runs)
            engine.dispose()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "insights-bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "insights-bench.md").write_text(markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Support insights at scale",
        "",
        f"`{report['command']}`, {report['date']}, {report['cores']} cores: "
        f"{report['conversations']:,} seeded conversations over {report['days']} days, "
        f"the page (every measure of the whole period, charts, tables) computed "
        f"{report['runs']} times.",
        "",
        "| database | events | seeding | summary table built once | page median | page max "
        "| queries alone | page after 100 new conversations | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, result in report["results"].items():
        worst = max(result["page_max_s"], result["page_after_100_new_s"])
        met = "met" if worst < report["target_s"] else "NOT met"
        lines.append(
            f"| {name} | {result['events']:,} | {result['seed_s']} s | "
            f"{result['summary_build_s']} s | "
            f"{result['page_median_s']} s | {result['page_max_s']} s | "
            f"{', '.join(str(s) for s in result['queries_s'])} s | "
            f"{result['page_after_100_new_s']} s | < {report['target_s']:g} s ({met}) |"
        )
    return "\n".join(lines) + "\n"
