"""Scores from predictions: intent and entity metrics, errors and the fallback-threshold curve."""

from __future__ import annotations

from typing import Any

import numpy as np

ENTITY_TYPES = ("email", "code")
THRESHOLDS = [round(t, 2) for t in np.arange(0.0, 0.91, 0.01)]


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
