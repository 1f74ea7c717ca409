"""`python -m bench <scenario> [options]`: every benchmark of the assistant, one harness.

A scenario must be named (the list below, from SCENARIOS, is `--help`'s; `python -m bench
<scenario> --help` lists a scenario's options). Each writes reports/bench-<scenario>.json
(with .md or .png beside it where it has them; --out puts them elsewhere) through
bench/writer.py, which starts every report with the same header: scenario, generated (UTC),
machine, command.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from typing import Any

from bench import writer

# Scenario -> its module (imported only when chosen: patches loads Rasa, insights SQLAlchemy),
# a line for --help and its make target. Each module has add_arguments(parser) (with
# writer.add_out's --out) and run(args, command); args.out is the report's path by then.
SCENARIOS = {
    "server": (
        "bench.server",
        "whole-conversation load: stock, stock on our server, ours",
        "bench",
    ),
    "length": ("bench.length", "the cost of a turn as a conversation grows", "bench-length"),
    "profile": ("bench.profile", "py-spy on our loaded Rasa server", "bench-profile"),
    "patches": (
        "bench.patches",
        "Rasa CPU per turn with each of our Rasa replacements off",
        "bench-patches",
    ),
    "cluster": (
        "bench.cluster",
        "turns/s through nginx with 1 and 2 Rasa replicas",
        "bench-cluster",
    ),
    "insights": ("bench.insights", "the insights page over seeded conversations", "bench-insights"),
    "handoff": (
        "bench.handoff",
        "an agent's message to the learner, one server and the cluster",
        "bench-handoff",
    ),
}


def scenario_list() -> str:
    return "scenarios:\n" + "".join(
        f"  {name:<9} {about} (bench/{module.split('.')[1]}.py; make {target})\n"
        for name, (module, about, target) in SCENARIOS.items()
    )


def parser_for(chosen: str | None) -> argparse.ArgumentParser:
    """Every scenario as a sub-command; only the chosen one's module adds its options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        epilog=scenario_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scenarios = parser.add_subparsers(dest="scenario", metavar="scenario", required=True)
    for name, (module, about, _) in SCENARIOS.items():
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
