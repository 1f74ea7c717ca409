"""`python -m bench`: the whole-conversation load benchmark, three configurations side by side.

- **stock**: Rasa's stock configuration through plain `rasa run` with Rasa's SQL store;
- **stock-on-ours**: the same model on our server (rasa_addons.server, the kept-tracker store);
- **ours**: our configuration on our server.
stock-on-ours / stock is the server's gain, ours / stock-on-ours the configuration's.

All stacks run at once on free ports (idle while another is measured). Every concurrency
level is run `--repeats` times, the configurations taking turns in a rotating order, so a
busy moment of the machine falls on all of them; the report gives the median and min–max
of every figure and the ratios of medians. Then the cost of one turn as a conversation grows
(bench/length.py), and, with the stacks stopped, memory and start-up over a large tracker
store (bench/scale.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench import history, length, models, scale, seed
from bench.report import (
    REPORTS,
    ceiling,
    ratios,
    summarize,
    targets,
    write,
)
from bench.runs import (
    CONFIGURATIONS,
    LIMITS_SCALE,
    Running,
    log,
    measure_levels,
    ours_model,
    scale_report,
    start,
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
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
    parser.add_argument("--out", type=Path, help="default reports/bench.json (quick: bench-raw)")
    args = parser.parse_args(argv)
    quick = args.quick
    levels = [
        int(x) for x in (args.levels or ("1,10" if quick else "1,10,20,50,100,200")).split(",")
    ]
    seconds = args.seconds or (4.0 if quick else 15.0)
    repeats = args.repeats or (1 if quick else 3)
    names = args.configurations or ("ours,stock-on-ours" if quick else ",".join(CONFIGURATIONS))
    chosen = [CONFIGURATIONS[name] for name in names.split(",")]
    checkpoints = (10, 100) if quick else length.CHECKPOINTS
    sessions = 5 if quick else length.SESSIONS
    store_sizes = (1_000,) if quick else scale.CONVERSATIONS
    out = args.out or (REPORTS / "bench-raw" / "quick.json" if quick else REPORTS / "bench.json")

    trained = {"ours": ours_model(args.model)}
    if any(c.model == "stock" for c in chosen):
        trained["stock"] = models.train("stock", log=log)
    report: dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_start": os.getloadavg(),
        },
        "settings": {
            "quick": quick,
            "levels": levels,
            "seconds_per_sample": seconds,
            "repeats": repeats,
            "limits_scale": LIMITS_SCALE,
            "configurations": [c.name for c in chosen],
        },
    }
    runs: list[Running] = []
    try:
        for configuration in chosen:
            runs.append(start(configuration, trained[configuration.model]))
        measure_levels(runs, levels, repeats, seconds)
        if not args.no_length:
            report["length"] = {}
            for running in runs:
                log(f"{running.configuration.name}: cost per turn as a conversation grows")
                report["length"][running.configuration.name] = length.measure(
                    running.stack.config.rasa_url,
                    running.stack.config.tracker_db,
                    running.rasa_pid,
                    checkpoints=checkpoints,
                    sessions=sessions,
                )
        for running in runs:
            running.sampler.stop()
    finally:
        for running in runs:
            running.stack.stop()
    report["configurations"] = {r.configuration.name: summarize(r) for r in runs}
    # Our stack's conversations, when it ran, are the templates and the subjects below.
    main_run = next((r for r in runs if r.configuration.name == "ours"), runs[0])
    db = main_run.stack.config.tracker_db
    if report.get("length"):
        # Where the growth comes from, on the conversations of the length points.
        curve = report["length"][main_run.configuration.name]
        senders = [point["sender"] for point in curve["points"]]
        report["length_parts"] = {
            "configuration": main_run.configuration.name,
            "points": history.measure(db, senders),
        }
    if not args.no_scale:
        report["scale"] = scale_report(seed.template(db), store_sizes, trained["ours"].path)
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    report["ratios"] = ratios(report["configurations"])
    cores = os.cpu_count() or 1
    report["ceiling"] = {
        name: ceiling(run, cores) for name, run in report["configurations"].items()
    }
    report["targets"] = targets(report)
    write(report, runs, out)
    for target, outcome in report["targets"].items():
        log(f"{'MET ' if outcome['met'] else 'MISS'} {target}: {outcome['value']}")
    return report


if __name__ == "__main__":
    main()
