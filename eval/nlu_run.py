"""One configuration through the NLU evaluation: held-out set, noise, cross-validation."""

from __future__ import annotations

import logging
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.nlu_data import load_examples, write_training_file
from eval.perturb import PERTURBATIONS
from eval.plots import plot_confusion
from eval.prediction import predict
from eval.scoring import entity_scores, errors, intent_scores
from eval.seeded_training import train_nlu
from eval.settings import BUILD, FOLDS, HARD_HELDOUT, HELDOUT, NLU_DATA, SEED

log = logging.getLogger("eval")


@dataclass(frozen=True)
class Configuration:
    name: str
    source: str  # where the text came from, for the report
    text: str


def evaluate_config(config: Configuration, cv: bool, reports: Path) -> dict[str, Any]:
    """Every figure of one configuration; the held-out confusion matrix goes to `reports`."""
    result: dict[str, Any] = {"config": config.source}
    heldout = load_examples(HELDOUT)
    log.info("[%s] training on %s", config.name, NLU_DATA)
    model, seconds = train_nlu(config.text, NLU_DATA, BUILD / config.name / "full")
    result["train_seconds"] = round(seconds, 1)
    result |= _heldout(config.name, model, heldout, reports)
    result |= _hard_heldout(model)
    log.info("[%s] perturbed held-out messages", config.name)
    result["robustness"] = _robustness(model, heldout)
    if cv:
        result |= _cross_validation(config)
    return result


def _predictions(examples: list[dict[str, Any]], preds: list[dict[str, Any]]) -> list[dict]:
    return [
        {"intent": e["intent"], "predicted": p["predicted"], "confidence": p["confidence"]}
        for e, p in zip(examples, preds, strict=True)
    ]


def _heldout(name: str, model: str, heldout: list[dict[str, Any]], reports: Path) -> dict[str, Any]:
    gold = [e["intent"] for e in heldout]
    preds = predict(model, [e["text"] for e in heldout])
    predicted = [p["predicted"] for p in preds]
    scores = intent_scores(gold, predicted)
    scores["entities"] = entity_scores(
        [e["entities"] for e in heldout], [p["entities"] for p in preds]
    )
    # The first parse loads lazily initialised parts; leave it out of the per-message time.
    times = [p["seconds"] for p in preds[1:]]
    plot_confusion(
        gold,
        predicted,
        f"{name}: held-out intent confusion (macro F1 {scores['macro_f1']:.3f})",
        reports / f"nlu-confusion-heldout-{name}.png",
    )
    return {
        "heldout": scores,
        "parse_ms_mean": round(1000 * float(np.mean(times)), 2),
        "parse_ms_p95": round(1000 * float(np.percentile(times, 95)), 2),
        "heldout_errors": errors(heldout, preds),
        "heldout_predictions": _predictions(heldout, preds),
    }


def _hard_heldout(model: str) -> dict[str, Any]:
    hard = load_examples(HARD_HELDOUT)
    preds = predict(model, [e["text"] for e in hard])
    gold = [e["intent"] for e in hard]
    return {
        "hard": intent_scores(gold, [p["predicted"] for p in preds]),
        "hard_errors": errors(hard, preds),
    }


def _robustness(model: str, heldout: list[dict[str, Any]]) -> dict[str, Any]:
    gold = [e["intent"] for e in heldout]
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
    return robustness


def _cross_validation(config: Configuration) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    examples = load_examples(NLU_DATA)
    labels = [e["intent"] for e in examples]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    cv_preds: list[dict[str, Any]] = [{} for _ in examples]
    fold_times = []
    for fold, (train_idx, test_idx) in enumerate(folds.split(examples, labels)):
        log.info("[%s] cross-validation fold %d/%d", config.name, fold + 1, FOLDS)
        fold_dir = BUILD / config.name / f"cv{fold}"
        train_file = BUILD / config.name / f"cv{fold}-train" / "nlu.yml"
        write_training_file([examples[i] for i in train_idx], train_file)
        fold_model, fold_seconds = train_nlu(config.text, str(train_file), fold_dir)
        fold_times.append(fold_seconds)
        for i, p in zip(
            test_idx, predict(fold_model, [examples[i]["text"] for i in test_idx]), strict=True
        ):
            cv_preds[i] = p
        shutil.rmtree(fold_dir)
    scores = intent_scores(labels, [p["predicted"] for p in cv_preds])
    scores["entities"] = entity_scores(
        [e["entities"] for e in examples], [p["entities"] for p in cv_preds]
    )
    scores["fold_train_seconds_mean"] = round(float(np.mean(fold_times)), 1)
    return {
        "cv": scores,
        "cv_errors": errors(examples, cv_preds),
        "cv_predictions": _predictions(examples, cv_preds),
    }
