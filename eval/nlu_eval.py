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
import asyncio
import contextlib
import fcntl
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

SEED = 2024
FOLDS = 5
HELDOUT = "tests/nlu/heldout.yml"
NLU_DATA = "data/nlu"
BUILD = Path("build/eval")
LOCK = "/tmp/heavy.lock"
ENTITY_TYPES = ("email", "code")
THRESHOLDS = [round(t, 2) for t in np.arange(0.0, 0.91, 0.01)]

log = logging.getLogger("eval")


# ---------------------------------------------------------------------------
# training and prediction


_lock_depth = 0


@contextlib.contextmanager
def heavy_lock() -> Iterator[None]:
    """Holds /tmp/heavy.lock (flock(1)-compatible); nested uses share the outer hold.

    HEAVY_LOCK_HELD=1 says a parent (`flock /tmp/heavy.lock ...`) already holds it.
    """
    global _lock_depth
    if _lock_depth or os.environ.get("HEAVY_LOCK_HELD"):
        _lock_depth += 1
        try:
            yield
        finally:
            _lock_depth -= 1
        return
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _lock_depth = 1
        try:
            yield
        finally:
            _lock_depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def fixed_seeds() -> Iterator[None]:
    """Seeds Python, NumPy and TensorFlow; pins the clock Rasa's TF models read a seed from.

    Rasa's stock DIETClassifier has no `random_seed` and falls back to `int(time.time())`;
    pinning that one clock read makes the stock runs repeatable without editing its config.
    """
    import rasa.utils.tensorflow.models as tf_models
    import tensorflow as tf

    random.seed(SEED)
    np.random.seed(SEED)
    tf.random.set_seed(SEED)

    class _Clock:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def time() -> float:
            return float(SEED)

    original = tf_models.time
    tf_models.time = _Clock()  # type: ignore[assignment]
    try:
        yield
    finally:
        tf_models.time = original


def timed_training(
    out_dir: Path, config_text: str, train_in: Callable[[str, str], str | None]
) -> tuple[str, float]:
    """Runs `train_in(config_path, out_dir)` in a fresh `out_dir` with fixed seeds, holding
    the heavy lock; returns the model's path and the wall-clock training time."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    # A config of its own: Rasa writes the defaults it filled in back into the file.
    config_path = out_dir / "config.yml"
    config_path.write_text(config_text, encoding="utf-8")
    with heavy_lock(), fixed_seeds():
        started = time.perf_counter()
        model = train_in(str(config_path), str(out_dir))
        seconds = time.perf_counter() - started
    if not model:
        raise RuntimeError(f"training in {out_dir} produced no model")
    return model, seconds


def train(config: str, nlu_data: str, out_dir: Path) -> tuple[str, float]:
    """Trains an NLU-only model; returns its path and the wall-clock training time."""
    from rasa.model_training import train_nlu

    def train_in(config_path: str, output: str) -> str | None:
        return train_nlu(
            config=config_path, nlu_data=nlu_data, output=output, fixed_model_name="nlu"
        )

    return timed_training(out_dir, Path(config).read_text(encoding="utf-8"), train_in)


def predict(model: str, texts: list[str]) -> list[dict[str, Any]]:
    """Parses each text; returns top intent (ignoring the fallback), ranking, entities, time."""
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    async def parse_all() -> list[dict[str, Any]]:
        results = []
        for text in texts:
            started = time.perf_counter()
            parsed = await agent.parse_message(text)
            elapsed = time.perf_counter() - started
            ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            top: dict[str, Any] = ranking[0] if ranking else {"name": None, "confidence": 0.0}
            results.append(
                {
                    "text": text,
                    "predicted": top["name"],
                    "confidence": float(top["confidence"]),
                    "runner_up": ranking[1]["name"] if len(ranking) > 1 else None,
                    "entities": [
                        (e["start"], e["end"], e["entity"]) for e in parsed.get("entities", [])
                    ],
                    "seconds": elapsed,
                }
            )
        return results

    with heavy_lock():
        return asyncio.run(parse_all())


# ---------------------------------------------------------------------------
# data


def load_examples(path: str) -> list[dict[str, Any]]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [
        {
            "text": m.get("text"),
            "intent": m.get("intent"),
            "entities": [(e["start"], e["end"], e["entity"]) for e in m.get("entities") or []],
            "message": m,
        }
        for m in load_data(path).intent_examples
    ]


def write_training_file(examples: list[dict[str, Any]], path: Path) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TrainingData(training_examples=[e["message"] for e in examples]).nlu_as_yaml())


# ---------------------------------------------------------------------------
# scoring


def intent_scores(gold: list[str], predicted: list[str | None]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, classification_report

    labels = sorted(set(gold))
    pred = [p or "None" for p in predicted]
    report = classification_report(gold, pred, labels=labels, output_dict=True, zero_division=0)
    per_intent = {
        label: {k: round(report[label][k], 4) for k in ("precision", "recall", "f1-score")}
        | {"support": int(report[label]["support"])}
        for label in labels
    }
    worst = min(labels, key=lambda label: report[label]["f1-score"])
    return {
        "accuracy": round(accuracy_score(gold, pred), 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "weighted_f1": round(report["weighted avg"]["f1-score"], 4),
        "worst_intent": worst,
        "worst_f1": round(report[worst]["f1-score"], 4),
        "per_intent": per_intent,
    }


def entity_scores(gold: list[list[tuple]], predicted: list[list[tuple]]) -> dict[str, Any]:
    """Exact-span precision/recall/F1 per entity type."""
    scores = {}
    for kind in ENTITY_TYPES:
        g = {(i, s, e) for i, ents in enumerate(gold) for s, e, k in ents if k == kind}
        p = {(i, s, e) for i, ents in enumerate(predicted) for s, e, k in ents if k == kind}
        tp = len(g & p)
        precision = tp / len(p) if p else 1.0
        recall = tp / len(g) if g else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[kind] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": len(g),
        }
    return scores


def threshold_curve(correct: list[bool], confidence: list[float]) -> list[dict[str, float]]:
    """Coverage (share at or above the threshold) and accuracy on that share per threshold."""
    rows = []
    conf = np.array(confidence)
    ok = np.array(correct)
    for t in THRESHOLDS:
        kept = conf >= t
        rows.append(
            {
                "threshold": t,
                "coverage": round(float(kept.mean()), 4),
                "accuracy": round(float(ok[kept].mean()) if kept.any() else 1.0, 4),
                "wrong_kept": int((kept & ~ok).sum()),
                "right_dropped": int((~kept & ok).sum()),
            }
        )
    return rows


def errors(examples: list[dict[str, Any]], preds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    wrong = [
        {
            "text": ex["text"],
            "intent": ex["intent"],
            "predicted": p["predicted"],
            "confidence": round(p["confidence"], 3),
        }
        for ex, p in zip(examples, preds, strict=True)
        if p["predicted"] != ex["intent"]
    ]
    return sorted(wrong, key=lambda w: (w["intent"], -w["confidence"]))


# ---------------------------------------------------------------------------
# plots


def plot_confusion(gold: list[str], pred: list[str | None], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | {p for p in pred if p})
    matrix = confusion_matrix(gold, [p or "None" for p in pred], labels=labels)
    fig, ax = plt.subplots(figsize=(11, 9.5))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=70, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                colour = "white" if i == j else "crimson"
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_thresholds(curves: dict[str, list[dict[str, float]]], chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for label, rows in curves.items():
        cov = [r["coverage"] for r in rows]
        acc = [r["accuracy"] for r in rows]
        thr = [r["threshold"] for r in rows]
        (line,) = left.plot(cov, acc, marker=".", markersize=3, label=label)
        for r in rows:
            if r["threshold"] in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                left.annotate(
                    f"{r['threshold']:.1f}",
                    (r["coverage"], r["accuracy"]),
                    fontsize=7,
                    color=line.get_color(),
                    xytext=(3, -9),
                    textcoords="offset points",
                )
        right.plot(thr, cov, color=line.get_color(), linestyle="--", label=f"{label}: coverage")
        right.plot(thr, acc, color=line.get_color(), label=f"{label}: accuracy")
    right.axvline(chosen, color="grey", linestyle=":", label=f"chosen threshold {chosen}")
    left.set_xlabel("coverage (share of messages at or above the threshold)")
    left.set_ylabel("accuracy on those messages")
    left.set_title("Accuracy against coverage (labels: threshold)")
    left.invert_xaxis()
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    right.set_xlabel("FallbackClassifier threshold")
    right.set_title("Coverage and accuracy by threshold")
    right.grid(alpha=0.3)
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------------------
# runs


def evaluate_config(name: str, config: str, cv: bool, reports: Path) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    from eval.perturb import PERTURBATIONS

    result: dict[str, Any] = {"config": config}
    heldout = load_examples(HELDOUT)
    gold = [e["intent"] for e in heldout]

    log.info("[%s] training on %s", name, NLU_DATA)
    model, seconds = train(config, NLU_DATA, BUILD / name / "full")
    result["train_seconds"] = round(seconds, 1)
    preds = predict(model, [e["text"] for e in heldout])
    predicted = [p["predicted"] for p in preds]
    result["heldout"] = intent_scores(gold, predicted)
    result["heldout"]["entities"] = entity_scores(
        [e["entities"] for e in heldout], [p["entities"] for p in preds]
    )
    # The first parse loads lazily initialised parts; leave it out of the per-message time.
    times = [p["seconds"] for p in preds[1:]]
    result["parse_ms_mean"] = round(1000 * float(np.mean(times)), 2)
    result["parse_ms_p95"] = round(1000 * float(np.percentile(times, 95)), 2)
    result["heldout_errors"] = errors(heldout, preds)
    result["heldout_predictions"] = [
        {"intent": e["intent"], "predicted": p["predicted"], "confidence": p["confidence"]}
        for e, p in zip(heldout, preds, strict=True)
    ]
    plot_confusion(
        gold,
        predicted,
        f"{name}: held-out intent confusion (macro F1 {result['heldout']['macro_f1']:.3f})",
        reports / f"nlu-confusion-heldout-{name}.png",
    )

    log.info("[%s] perturbed held-out messages", name)
    robustness = {}
    for label, perturb in PERTURBATIONS.items():
        rng = random.Random(SEED)
        noisy = [perturb(e["text"], rng) for e in heldout]
        noisy_preds = predict(model, noisy)
        scores = intent_scores(gold, [p["predicted"] for p in noisy_preds])
        robustness[label] = {
            "accuracy": scores["accuracy"],
            "macro_f1": scores["macro_f1"],
            "examples": [
                {"original": e["text"], "perturbed": t, "predicted": p["predicted"]}
                for e, t, p in list(zip(heldout, noisy, noisy_preds, strict=True))[::40]
            ],
        }
    result["robustness"] = robustness

    if cv:
        examples = load_examples(NLU_DATA)
        labels = [e["intent"] for e in examples]
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
        cv_preds: list[dict[str, Any]] = [{} for _ in examples]
        fold_times = []
        for fold, (train_idx, test_idx) in enumerate(folds.split(examples, labels)):
            log.info("[%s] cross-validation fold %d/%d", name, fold + 1, FOLDS)
            fold_dir = BUILD / name / f"cv{fold}"
            train_file = BUILD / name / f"cv{fold}-train" / "nlu.yml"
            write_training_file([examples[i] for i in train_idx], train_file)
            fold_model, fold_seconds = train(config, str(train_file), fold_dir)
            fold_times.append(fold_seconds)
            for i, p in zip(
                test_idx, predict(fold_model, [examples[i]["text"] for i in test_idx]), strict=True
            ):
                cv_preds[i] = p
            shutil.rmtree(fold_dir)
        result["cv"] = intent_scores(labels, [p["predicted"] for p in cv_preds])
        result["cv"]["entities"] = entity_scores(
            [e["entities"] for e in examples], [p["entities"] for p in cv_preds]
        )
        result["cv"]["fold_train_seconds_mean"] = round(float(np.mean(fold_times)), 1)
        result["cv_errors"] = errors(examples, cv_preds)
        result["cv_predictions"] = [
            {"intent": e["intent"], "predicted": p["predicted"], "confidence": p["confidence"]}
            for e, p in zip(examples, cv_preds, strict=True)
        ]
    return result


def curves_for(result: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
    curves = {}
    for key in ("heldout", "cv"):
        rows = result.get(f"{key}_predictions")
        if rows:
            curves[key] = threshold_curve(
                [r["predicted"] == r["intent"] for r in rows], [r["confidence"] for r in rows]
            )
    return curves


def recommended_threshold(result: dict[str, Any], wrong_cost: float = 2.0) -> float:
    """The threshold with the best trade-off on held-out and CV predictions together.

    Sending a message to the fallback ("Did you mean ...?" with buttons) costs the learner
    one click; answering a misread message costs a wrong article step and a correction,
    so an accepted wrong answer counts `wrong_cost` times a needless clarification.
    """
    rows = result["heldout_predictions"] + result.get("cv_predictions", [])
    curve = threshold_curve(
        [r["predicted"] == r["intent"] for r in rows], [r["confidence"] for r in rows]
    )
    baseline = curve[0]["wrong_kept"]

    def gain(row: dict[str, float]) -> float:
        return wrong_cost * (baseline - row["wrong_kept"]) - row["right_dropped"]

    candidates = [r for r in curve if 0.1 <= r["threshold"] <= 0.6]
    best = max(candidates, key=lambda r: (gain(r), -r["threshold"]))
    return float(best["threshold"])


def configured_threshold(config: str) -> float | None:
    import yaml

    with open(config) as handle:
        pipeline = yaml.safe_load(handle).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


# ---------------------------------------------------------------------------
# summary


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
    lines = [
        "# NLU evaluation",
        "",
        f"Held-out set: `{HELDOUT}` ({held} messages, never in training data). "
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
        "| intent | " + " | ".join(f"{n} F1 held-out | {n} F1 CV" for n in names) + " |",
        "|---|" + "---:|---:|" * len(names),
    ]
    for intent in results[names[0]]["heldout"]["per_intent"]:
        cells = []
        for n in names:
            cells.append(_fmt(results[n]["heldout"]["per_intent"][intent]["f1-score"]))
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


def threshold_section(result: dict[str, Any], config: str) -> tuple[list[str], float]:
    curves = curves_for(result)
    current = configured_threshold(config) or 0.3
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--config",
        action="append",
        metavar="NAME=PATH",
        help="configurations to evaluate (default: ours=config.yml stock=eval/stock-config.yml)",
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

    configs = dict(
        item.split("=", 1)
        for item in (args.config or ["ours=config.yml", "stock=eval/stock-config.yml"])
    )
    reports = Path(args.reports)
    reports.mkdir(parents=True, exist_ok=True)
    # One hold for each configuration's trainings and predictions, so the run is not
    # starved by other jobs taking the lock between its many short steps.
    results = {}
    for name, path in configs.items():
        with heavy_lock():
            cv = not args.no_cv and name not in args.skip_cv_for
            results[name] = evaluate_config(name, path, cv, reports)

    first = next(iter(results))
    threshold_rows, chosen = threshold_section(results[first], configs[first])
    plot_thresholds(
        {f"{first} {k}": v for k, v in curves_for(results[first]).items()},
        chosen,
        reports / "nlu-threshold.png",
    )
    (reports / "eval-summary.md").write_text(summary_markdown(results, threshold_rows))
    (reports / "nlu-errors.json").write_text(
        json.dumps(
            {
                n: {"heldout": r["heldout_errors"], "cv": r.get("cv_errors", [])}
                for n, r in results.items()
            },
            indent=1,
        )
    )
    figures = {
        n: {
            k: v
            for k, v in r.items()
            if k not in ("heldout_errors", "cv_errors", "heldout_predictions", "cv_predictions")
        }
        | {"thresholds": curves_for(r)}
        for n, r in results.items()
    }
    (reports / "nlu-eval.json").write_text(json.dumps(figures, indent=1))
    print((reports / "eval-summary.md").read_text())


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
