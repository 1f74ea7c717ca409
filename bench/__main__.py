"""`python -m bench <scenario> [options]`: every benchmark of the assistant, one harness.

Scenarios (`python -m bench <scenario> --help` lists a scenario's options):
  server    whole-conversation load: stock Rasa, the stock config on our server, ours
            (bench/server.py; make bench, make bench-smoke)
  length    the cost of a turn as a conversation grows (bench/length.py; make bench-length)
  profile   py-spy on our loaded Rasa server (bench/profile.py; make bench-profile)
  patches   Rasa CPU per turn with each of our Rasa replacements off (bench/patches.py;
            make bench-patches)
  cluster   turns/s through nginx with 1 and 2 Rasa replicas (bench/cluster.py;
            make bench-cluster)
  insights  the insights page over 50,000 seeded conversations, SQLite and PostgreSQL
            (bench/insights.py; make bench-insights)
  handoff   an agent's message to the learner's socket, one server and the cluster
            (bench/handoff.py; make bench-handoff)

A scenario must be named. Each writes reports/bench-<scenario>.json (with .md or .png
beside it where it has them; --out puts them elsewhere) through bench/writer.py, which
starts every report with the same header: scenario, generated (UTC), machine, command.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from typing import Any

from bench import writer

# Scenario -> its module (imported only when chosen: patches loads Rasa, insights SQLAlchemy)
# and a line for --help. Each module has add_arguments(parser) (with writer.add_out's --out)
# and run(args, command); args.out is the report's path by then.
SCENARIOS = {
    "server": ("bench.server", "whole-conversation load: stock, stock on our server, ours"),
    "length": ("bench.length", "the cost of a turn as a conversation grows"),
    "profile": ("bench.profile", "py-spy on our loaded Rasa server"),
    "patches": ("bench.patches", "Rasa CPU per turn with each of our Rasa replacements off"),
    "cluster": ("bench.cluster", "turns/s through nginx with 1 and 2 Rasa replicas"),
    "insights": ("bench.insights", "the insights page over seeded conversations"),
    "handoff": ("bench.handoff", "an agent's message to the learner, one server and cluster"),
}


def parser_for(chosen: str | None) -> argparse.ArgumentParser:
    """Every scenario as a sub-command; only the chosen one's module adds its options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scenarios = parser.add_subparsers(dest="scenario", metavar="scenario", required=True)
    for name, (module, about) in SCENARIOS.items():
        sub = scenarios.add_parser(name, help=about, description=about)
        if name == chosen:
            importlib.import_module(module).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> Any:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = argv[0] if argv and argv[0] in SCENARIOS else None
    args = parser_for(chosen).parse_args(argv)
    args.out = writer.out_of(args, args.scenario)
    scenario = importlib.import_module(SCENARIOS[args.scenario][0])
    return scenario.run(args, shlex.join(["python", "-m", "bench", *argv]))


if __name__ == "__main__":
    main()
