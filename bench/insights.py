"""`python -m bench insights` (`make bench-insights`): how long the insights page takes on
50,000 conversations, SQLite and PostgreSQL.

Seeds each database with the same synthetic conversations (insights/seed.py), adds the
insights' indexes, then times what a GET /insights does: every measure of the whole seeded
period and the page with its charts. Writes reports/bench-insights.json and .md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

import sqlalchemy as sa

from bench import writer
from insights import sql
from insights.article import load
from insights.measures import Measures, Period
from insights.report import render
from insights.seed import seed
from insights.summary import refresh
from stack import postgres

DATABASES = ("sqlite", "postgresql")
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


def measure(
    conversations: int, days: int, runs: int, databases: tuple[str, ...] = DATABASES
) -> dict[str, Any]:
    """The figures of each database (PostgreSQL when its binaries are installed)."""
    results: dict[str, Any] = {}
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory(prefix="bench-insights-", dir="/var/tmp") as directory:
            engine = sa.create_engine(f"sqlite:///{directory}/tracker.db")
            results["sqlite"] = one(engine, conversations, days, runs)
            engine.dispose()
    if "postgresql" in databases and postgres.available():
        with postgres.temporary_postgres() as url:
            engine = sa.create_engine(url)
            results["postgresql"] = one(engine, conversations, days, runs)
            engine.dispose()
    return {
        "conversations": conversations,
        "days": days,
        "runs": runs,
        "target_s": TARGET_SECONDS,
        "results": results,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conversations", type=int, default=50000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--runs", type=int, default=3, help="page loads timed")
    parser.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help="of sqlite,postgresql (default both; PostgreSQL when it is installed)",
    )
    writer.add_out(parser, "insights")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    databases = tuple(args.databases.split(","))
    if not set(databases) <= set(DATABASES):
        raise SystemExit(f"--databases: of {','.join(DATABASES)}, not {args.databases}")
    body = measure(args.conversations, args.days, args.runs, databases)
    report = writer.write("insights", command, body, args.out, markdown)
    print(markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Support insights at scale",
        "",
        f"`{report['command']}`, {writer.when(report)}, {report['machine']['cpus']} cores: "
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
