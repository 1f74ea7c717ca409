"""NLU examples in and out of Rasa's training-data format."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_examples(path: str) -> list[dict[str, Any]]:
    """Text, intent and entity spans of each intent example, with Rasa's message kept."""
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
