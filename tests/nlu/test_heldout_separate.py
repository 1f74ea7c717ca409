"""The held-out sets (tests/nlu/heldout.yml and the harder heldout_hard.yml) stay out of
the training data, and together cover every intent."""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]
HELDOUT_SETS = (ROOT / "tests" / "nlu" / "heldout.yml", ROOT / "tests" / "nlu" / "heldout_hard.yml")
TRAINING = ROOT / "data" / "nlu"
MIN_PER_INTENT = 15

_PUNCTUATION = str.maketrans("", "", string.punctuation + "“”‘’…")


def normalise(text: str) -> str:
    """Lowercase, no punctuation, no whitespace: "Can't log-in!" -> "cantlogin"."""
    return re.sub(r"\s+", "", text.lower().translate(_PUNCTUATION))


def _examples(path: Path) -> list[tuple[str, str]]:
    return [(m.get("text"), m.get("intent")) for m in load_data(str(path)).intent_examples]


@pytest.fixture(scope="module")
def heldout() -> list[tuple[str, str]]:
    return [example for path in HELDOUT_SETS for example in _examples(path)]


@pytest.fixture(scope="module")
def training() -> list[tuple[str, str]]:
    return _examples(TRAINING)


def test_normalise_ignores_case_punctuation_and_spaces() -> None:
    assert normalise("  Can't   LOG-in!! ") == normalise("cant login") == "cantlogin"


def test_no_heldout_example_is_in_the_training_data(
    heldout: list[tuple[str, str]], training: list[tuple[str, str]]
) -> None:
    trained = {normalise(text): (text, intent) for text, intent in training}
    # Named by the training example only: whoever reads a failure must not see the rest of
    # the held-out set.
    leaked = [
        "{!r} ({})".format(*trained[normalise(text)])
        for text, _ in heldout
        if normalise(text) in trained
    ]
    if leaked:
        pytest.fail("training examples equal to held-out ones:\n" + "\n".join(leaked))


def test_heldout_examples_are_unique(heldout: list[tuple[str, str]]) -> None:
    counts = Counter(normalise(text) for text, _ in heldout)
    assert [text for text, n in counts.items() if n > 1] == []


def test_every_intent_has_enough_heldout_examples(
    heldout: list[tuple[str, str]], training: list[tuple[str, str]]
) -> None:
    per_intent = Counter(intent for _, intent in heldout)
    intents = {intent for _, intent in training}
    assert intents, "no training data loaded"
    short = {i: per_intent[i] for i in sorted(intents) if per_intent[i] < MIN_PER_INTENT}
    assert not short, f"intents with fewer than {MIN_PER_INTENT} held-out examples: {short}"
    assert set(per_intent) <= intents, "held-out set uses intents the training data lacks"
