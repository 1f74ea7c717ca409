"""The NLU evaluation's outputs: eval-summary.md, nlu-eval.json, nlu-errors.json and the
threshold figure, all from the results of every configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from eval.nlu_run import Configuration
from eval.plots import plot_thresholds
from eval.scoring import curves_for, recommended_threshold
from eval.settings import FOLDS, HARD_HELDOUT, HELDOUT, NLU_DATA, SEED


def write_reports(results: dict[str, dict[str, Any]], first: Configuration, reports: Path) -> str:
    """Writes every file into `reports`; the threshold advice is for the `first` config."""
    threshold_rows, chosen = threshold_section(results[first.name], first.text)
    plot_thresholds(
        {f"{first.name} {k}": v for k, v in curves_for(results[first.name]).items()},
        chosen,
        reports / "nlu-threshold.png",
    )
    summary = summary_markdown(results, threshold_rows)
    (reports / "eval-summary.md").write_text(summary)
    (reports / "nlu-errors.json").write_text(
        json.dumps(
            {
                n: {
                    "heldout": r["heldout_errors"],
                    "hard": r["hard_errors"],
                    "cv": r.get("cv_errors", []),
                }
                for n, r in results.items()
            },
            indent=1,
        )
    )
    figures = {
        n: {
            k: v
            for k, v in r.items()
            if k
            not in (
                "heldout_errors",
                "hard_errors",
                "cv_errors",
                "heldout_predictions",
                "cv_predictions",
            )
        }
        | {"thresholds": curves_for(r)}
        for n, r in results.items()
    }
    (reports / "nlu-eval.json").write_text(json.dumps(figures, indent=1))
    return summary


def configured_threshold(config_text: str) -> float | None:
    pipeline = yaml.safe_load(config_text).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def summary_markdown(results: dict[str, dict[str, Any]], threshold_rows: list[str]) -> str:
    names = list(results)
    heads = {"ours": "ours (config.yml)", "stock": "Rasa stock defaults"}
    header = "| | " + " | ".join(heads.get(n, n) for n in names) + " |"
    rule = "|---|" + "---:|" * len(names)

    def row(label: str, getter: Any) -> str:
        cells = []
        for n in names:
            try:
                cells.append(_fmt(getter(results[n])))
            except KeyError:
                cells.append("–")
        return f"| {label} | " + " | ".join(cells) + " |"

    held = len(results[names[0]]["heldout_predictions"])
    hard = sum(i["support"] for i in results[names[0]]["hard"]["per_intent"].values())
    lines = [
        "# NLU evaluation",
        "",
        f"Held-out set: `{HELDOUT}` ({held} messages, never in training data); harder "
        f"held-out set: `{HARD_HELDOUT}` ({hard} messages: rambling, typos, caps, near-miss "
        "pairs, yes and no in many words). "
        f"Cross-validation: stratified {FOLDS}-fold on `{NLU_DATA}`, seed {SEED}. "
        "Intent scores use the top intent before the fallback threshold is applied.",
        "",
        header,
        rule,
        row("held-out intent macro F1", lambda r: r["heldout"]["macro_f1"]),
        row("held-out intent accuracy", lambda r: r["heldout"]["accuracy"]),
        row(
            "held-out worst intent (F1)",
            lambda r: f"{r['heldout']['worst_intent']} ({r['heldout']['worst_f1']:.3f})",
        ),
        row(
            "held-out out_of_scope recall",
            lambda r: r["heldout"]["per_intent"]["out_of_scope"]["recall"],
        ),
        row("harder held-out intent macro F1", lambda r: r["hard"]["macro_f1"]),
        row(
            "harder held-out worst intent (F1)",
            lambda r: f"{r['hard']['worst_intent']} ({r['hard']['worst_f1']:.3f})",
        ),
        row("held-out email entity F1", lambda r: r["heldout"]["entities"]["email"]["f1"]),
        row("held-out code entity F1", lambda r: r["heldout"]["entities"]["code"]["f1"]),
        row(f"{FOLDS}-fold CV intent macro F1", lambda r: r["cv"]["macro_f1"]),
        row(
            f"{FOLDS}-fold CV worst intent (F1)",
            lambda r: f"{r['cv']['worst_intent']} ({r['cv']['worst_f1']:.3f})",
        ),
        row(
            "held-out macro F1, typos + no punctuation + lowercase",
            lambda r: r["robustness"]["all of these"]["macro_f1"],
        ),
        row("training time, full data (s)", lambda r: f"{r['train_seconds']:.1f}"),
        row("parse time per message, mean (ms)", lambda r: f"{r['parse_ms_mean']:.1f}"),
        "",
        "## Held-out F1 per intent",
        "",
        "| intent | "
        + " | ".join(f"{n} F1 held-out | {n} F1 harder | {n} F1 CV" for n in names)
        + " |",
        "|---|" + "---:|---:|---:|" * len(names),
    ]
    first = results[names[0]]
    for intent in sorted({*first["heldout"]["per_intent"], *first["hard"]["per_intent"]}):
        cells = []
        for n in names:
            held_scores = results[n]["heldout"]["per_intent"].get(intent)
            cells.append(_fmt(held_scores["f1-score"]) if held_scores else "–")
            hard_scores = results[n]["hard"]["per_intent"].get(intent)
            cells.append(_fmt(hard_scores["f1-score"]) if hard_scores else "–")
            cv = results[n].get("cv", {}).get("per_intent", {}).get(intent)
            cells.append(_fmt(cv["f1-score"]) if cv else "–")
        lines.append(f"| {intent} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Robustness: held-out messages with seeded noise (intent macro F1)",
        "",
        "| perturbation | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
        "| none | " + " | ".join(_fmt(results[n]["heldout"]["macro_f1"]) for n in names) + " |",
    ]
    for label in results[names[0]]["robustness"]:
        cells = [_fmt(results[n]["robustness"][label]["macro_f1"]) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", *threshold_rows, ""]
    lines += [
        "Files: `nlu-eval.json` (all figures), `nlu-errors.json` (misclassified messages), "
        "`nlu-confusion-heldout-*.png`, `nlu-threshold.png`.",
        "",
    ]
    return "\n".join(lines)


def threshold_section(result: dict[str, Any], config_text: str) -> tuple[list[str], float]:
    curves = curves_for(result)
    current = configured_threshold(config_text) or 0.3
    lines = [
        "## Fallback threshold (ours)",
        "",
        f"Configured FallbackClassifier threshold: **{current}**. Below it the assistant asks "
        '"Did you mean ...?" instead of answering. Best trade-off on held-out + CV '
        "predictions (a wrongly accepted message counts twice a needless question): "
        f"**{recommended_threshold(result)}**.",
        "",
        "| threshold | " + " | ".join(f"{k} coverage | {k} accuracy" for k in curves) + " |",
        "|---:|" + "---:|---:|" * len(curves),
    ]
    shown = sorted(
        {0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, current, recommended_threshold(result)}
    )
    for t in shown:
        cells = []
        for rows in curves.values():
            r = min(rows, key=lambda row: abs(row["threshold"] - t))
            cells += [_fmt(r["coverage"]), _fmt(r["accuracy"])]
        lines.append(f"| {t:.2f} | " + " | ".join(cells) + " |")
    return lines, current
