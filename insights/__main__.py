"""python -m insights report|review|seed|screenshot (the make targets in mk/insights.mk; the
page's timing on 50,000 conversations is `python -m bench insights`)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from insights import sql
from insights.measures import Measures, Period, engine_for

DEFAULT_DB = os.environ.get("TRACKER_DB") or "var/tracker.db"


def period_from(args: argparse.Namespace) -> Period:
    if args.start or args.end:
        default = Period.last_days(args.days)
        start = date.fromisoformat(args.start) if args.start else default.start
        end = date.fromisoformat(args.end) if args.end else default.end
        return Period(start, end)
    return Period.last_days(args.days)


def engine_or_empty(location: str) -> sa.engine.Engine:
    """The tracker store; an empty in-memory one on a fresh checkout (nothing recorded yet)."""
    try:
        return engine_for(location)
    except FileNotFoundError:
        print(f"No tracker store at {location} yet: the figures are all zero.", file=sys.stderr)
        return sa.create_engine("sqlite://")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m insights", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("report", "review"):
        command = commands.add_parser(name)
        command.add_argument("--tracker-db", default=DEFAULT_DB, help="SQLite path or URL")
        command.add_argument("--days", type=int, default=7, help="the last N days (UTC)")
        command.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        command.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
    commands.choices["report"].add_argument("--accounts-db", default="var/accounts.db")
    commands.choices["report"].add_argument("--out", default="reports/insights.html")
    commands.choices["review"].add_argument("--out", default="reports/nlu-review.yml")
    commands.choices["review"].add_argument(
        "--below", type=float, default=0.5, help="also export messages read with less confidence"
    )
    seeding = commands.add_parser("seed", help="add synthetic conversations (insights/seed.py)")
    seeding.add_argument("--db", required=True, help="SQLite path or URL")
    seeding.add_argument("--conversations", type=int, default=50000)
    seeding.add_argument("--days", type=int, default=28)
    seeding.add_argument("--seed", type=int, default=7)
    shot = commands.add_parser("screenshot", help="docs/images/insights-*.png from seeded data")
    shot.add_argument("--out-dir", default="docs/images")
    args = parser.parse_args(argv)

    if args.command == "report":
        from insights.report import render

        engine = engine_or_empty(args.tracker_db)
        accounts = Path(args.accounts_db)
        insights = Measures(engine, accounts_db=accounts if accounts.exists() else None).compute(
            period_from(args)
        )
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(insights), encoding="utf-8")
        print(
            f"{out}: {insights.summary['conversations']} conversations, "
            f"{insights.period.start} to {insights.period.end} ({insights.seconds:.2f} s)"
        )
    elif args.command == "review":
        from insights.review import export

        engine = engine_or_empty(args.tracker_db)
        count = export(engine, period_from(args), Path(args.out), args.below)
        print(f"{args.out}: {count} candidates to review")
    elif args.command == "seed":
        from insights.seed import seed

        engine = sa.create_engine(
            args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
        )
        rows = seed(engine, args.conversations, days=args.days, seed=args.seed)
        sql.ensure_indexes(engine)
        print(f"{args.db}: {rows} events in {args.conversations} conversations")
    elif args.command == "screenshot":
        from insights.screenshot import take

        for path in take(Path(args.out_dir)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
