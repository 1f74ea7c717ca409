"""`python -m bench server`: the whole-conversation load benchmark, three configurations side
by side.

- **stock**: Rasa's stock configuration through plain `rasa run` with Rasa's SQL store;
- **stock-on-ours**: the same model on our server (rasa_addons.server, the kept-tracker store);
- **ours**: our configuration on our server.
stock-on-ours / stock is the server's gain, ours / stock-on-ours the configuration's.

All stacks run at once on free ports (idle while another is measured). Every concurrency
level is run `--repeats` times, the configurations taking turns in a rotating order, so a
busy moment of the machine falls on all of them; the report gives the median and min–max
of every figure and the ratios of medians. Then the cost of one turn as a conversation grows
on the same stacks (bench/length.py, which `python -m bench length` runs alone), and, with
the stacks stopped, memory and start-up over a large tracker store (bench/scale.py).
Writes reports/bench-server.json, bench-server.png and bench-server-length.png.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bench import length, runs, scale, seed, writer
from bench.report import ceiling, ratios, summarize, targets, write
from bench.runs import CONFIGURATIONS, LIMITS_SCALE, log, measure_levels, scale_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
    writer.add_out(parser, "server")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    quick = args.quick
    levels = [
        int(x) for x in (args.levels or ("1,10" if quick else "1,10,20,50,100,200")).split(",")
    ]
    seconds = args.seconds or (4.0 if quick else 15.0)
    repeats = args.repeats or (1 if quick else 3)
    chosen = runs.chosen(
        args.configurations or ("ours,stock-on-ours" if quick else ",".join(CONFIGURATIONS))
    )
    checkpoints = (10, 100) if quick else length.CHECKPOINTS
    sessions = 5 if quick else length.SESSIONS
    store_sizes = (1_000,) if quick else scale.CONVERSATIONS

    trained = runs.trained(chosen, args.model)
    report: dict[str, Any] = {
        "settings": {
            "quick": quick,
            "levels": levels,
            "seconds_per_sample": seconds,
            "repeats": repeats,
            "limits_scale": LIMITS_SCALE,
            "configurations": [c.name for c in chosen],
        },
        "load_average": {"at_start": os.getloadavg()},
    }
    with runs.started(chosen, trained) as running:
        measure_levels(running, levels, repeats, seconds)
        if not args.no_length:
            report["length"] = length.curves(running, checkpoints, sessions)
    report["configurations"] = {r.configuration.name: summarize(r) for r in running}
    if report.get("length"):
        report["length_parts"] = length.parts(running, report["length"])
    if not args.no_scale:
        # Our stack's conversations, when it ran, are the template of the seeded store.
        db = length.main_run(running).stack.config.tracker_db
        report["scale"] = scale_report(seed.template(db), store_sizes, trained["ours"].path)
    report["load_average"]["at_end"] = os.getloadavg()
    report["ratios"] = ratios(report["configurations"])
    cores = os.cpu_count() or 1
    report["ceiling"] = {
        name: ceiling(run, cores) for name, run in report["configurations"].items()
    }
    report["targets"] = targets(report)
    written = write(report, running, args.out, command)
    for target, outcome in report["targets"].items():
        log(f"{'MET ' if outcome['met'] else 'MISS'} {target}: {outcome['value']}")
    return written
