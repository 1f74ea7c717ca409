"""Figures of the NLU evaluation: confusion matrices and the fallback-threshold curves."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np


def _pyplot() -> ModuleType:
    """pyplot drawing to files only: the evaluation runs without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(gold: list[str], pred: list[str | None], title: str, path: Path) -> None:
    from sklearn.metrics import confusion_matrix

    plt = _pyplot()
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
    plt = _pyplot()
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
