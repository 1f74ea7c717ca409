"""`make review`: the messages the assistant did not understand, as NLU training candidates.

The file is Rasa NLU YAML, grouped under the assistant's best guess, each example with its
confidence and second guess as metadata. A person corrects the intent (moving the example
under the right one), fixes the words if needed and moves it into data/nlu/; the next
training learns it. Addresses and codes are masked, as everywhere in the insights.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from insights.measures import FALLBACK_INTENT, LOW_CONFIDENCE, Period
from insights.privacy import mask
from insights.sql import PERIOD, Dialect

HEADER = """\
# Review candidates: learners' messages the assistant did not understand ({reason}),
# {start} to {end} (UTC), from the tracker store. Each sits under the assistant's best
# guess, with its confidence. For each: put it under the right intent, fix the words if
# needed (addresses and codes are masked), and move it into data/nlu/<topic>.yml.
"""


@dataclass(frozen=True)
class Candidate:
    text: str
    guess: str
    confidence: float
    second: str | None
    second_confidence: float | None
    reason: str  # "fallback" or "low_confidence"
    times: int = 1


def candidate_rows(engine: sa.engine.Engine, period: Period, below: float) -> list[Any]:
    """Learner messages read as unclear, or with a confidence under `below`."""
    if not sa.inspect(engine).has_table("events"):
        return []  # nothing recorded yet
    dialect = Dialect(engine.dialect.name)
    confidence = dialect.json_number(("parse_data", "intent", "confidence"))
    query = f"""
        SELECT intent_name, data FROM events
        WHERE {PERIOD} AND type_name = 'user'
          AND (intent_name = :fallback OR {confidence} < :below)
        ORDER BY id
    """
    with engine.connect() as connection:
        result = connection.execute(
            sa.text(query), {**period.bounds(), "fallback": FALLBACK_INTENT, "below": below}
        )
        return list(result)


def candidates(
    engine: sa.engine.Engine, period: Period, below: float = LOW_CONFIDENCE
) -> list[Candidate]:
    """One candidate per distinct masked text; button payloads (`/intent`) are left out."""
    found: dict[str, Candidate] = {}
    for intent, data in candidate_rows(engine, period, below):
        event = json.loads(data)
        text = mask(str(event.get("text") or "")).strip()
        if not text or text.startswith("/"):
            continue
        ranking = [
            item
            for item in (event.get("parse_data") or {}).get("intent_ranking") or []
            if item.get("name") != FALLBACK_INTENT
        ]
        if not ranking:
            continue
        second = ranking[1] if len(ranking) > 1 else {}
        if text in found:
            previous = found[text]
            found[text] = Candidate(**{**previous.__dict__, "times": previous.times + 1})
            continue
        found[text] = Candidate(
            text=text,
            guess=str(ranking[0]["name"]),
            confidence=round(float(ranking[0].get("confidence") or 0), 3),
            second=second.get("name"),
            second_confidence=(
                round(float(second["confidence"]), 3) if "confidence" in second else None
            ),
            reason="fallback" if intent == FALLBACK_INTENT else "low_confidence",
        )
    return list(found.values())


def to_yaml(items: list[Candidate], period: Period, below: float) -> str:
    by_guess: dict[str, list[Candidate]] = defaultdict(list)
    for item in items:
        by_guess[item.guess].append(item)
    document: dict[str, Any] = {
        "version": "3.1",
        "nlu": [
            {
                "intent": guess,
                "examples": [
                    {
                        "text": item.text,
                        "metadata": {
                            "reason": item.reason,
                            "confidence": item.confidence,
                            "second_guess": item.second,
                            "second_confidence": item.second_confidence,
                            "times": item.times,
                        },
                    }
                    for item in sorted(by_guess[guess], key=lambda item: item.confidence)
                ],
            }
            for guess in sorted(by_guess)
        ],
    }
    reason = f"no intent chosen, or a confidence under {below:g}"
    header = HEADER.format(reason=reason, start=period.start, end=period.end)
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def export(engine: sa.engine.Engine, period: Period, out: Path, below: float) -> int:
    """Writes the candidates file; returns how many candidates it holds."""
    items = candidates(engine, period, below)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_yaml(items, period, below), encoding="utf-8")
    return len(items)
