"""Trains NLU configurations and measures them on the held-out set and by cross-validation.

For every configuration (ours: config.yml; stock: Rasa's defaults) it
  * trains on data/nlu into build/eval/<name>/ and evaluates on tests/nlu/heldout.yml,
  * runs stratified 5-fold cross-validation on data/nlu (fixed seed),
  * re-evaluates the held-out model on seeded typo/punctuation/case perturbations,
and writes per-intent scores, confusion matrices, misclassified examples, the
confidence-threshold curve and a markdown summary to reports/.

Run with `make eval`. Every training holds /tmp/heavy.lock (the same lock `flock` uses)
so it never competes with other heavy jobs on the machine.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from eval.nlu_run import Configuration, evaluate_config
from eval.report import write_reports
from training.lock import heavy_lock
from training.stock import SOURCE, stock_config_text

DEFAULT_CONFIGS = ("ours=config.yml", "stock")


def configuration(item: str) -> Configuration:
    """NAME=PATH, or `stock` for Rasa's stock configuration."""
    if item == "stock":
        return Configuration("stock", SOURCE, stock_config_text())
    name, path = item.split("=", 1)
    return Configuration(name, path, Path(path).read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--config",
        action="append",
        type=configuration,
        metavar="NAME=PATH|stock",
        help="configurations to evaluate; `stock` is Rasa's stock configuration "
        f"(default: {' '.join(DEFAULT_CONFIGS)})",
    )
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    parser.add_argument(
        "--skip-cv-for",
        action="append",
        default=[],
        metavar="NAME",
        help="skip cross-validation for this configuration (the stock DIET takes ~7 min a fold)",
    )
    parser.add_argument("--reports", default="reports", help="output directory")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("rasa", "tensorflow", "absl"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    configs: list[Configuration] = args.config or [configuration(i) for i in DEFAULT_CONFIGS]
    reports = Path(args.reports)
    reports.mkdir(parents=True, exist_ok=True)
    # One hold for each configuration's trainings and predictions, so the run is not
    # starved by other jobs taking the lock between its many short steps.
    results = {}
    for config in configs:
        with heavy_lock():
            cv = not args.no_cv and config.name not in args.skip_cv_for
            results[config.name] = evaluate_config(config, cv, reports)
    print(write_reports(results, configs[0], reports))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
