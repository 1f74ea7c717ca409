"""A message that is only an address or a code is read as an answer, not guessed at."""

from __future__ import annotations

import pytest

from rasa_addons.nlu.account_entities import find_entities, is_bare_answer
from rasa_addons.nlu.spacy_model import build_pipeline

NLP = build_pipeline()


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("david.kim@stateuniversity.edu", True),
        ("  <Frank.Muller@GMIAL.COM>. ", True),
        ("482 913", True),
        ("123456!", True),
        ("my email is ana@example.com", False),
        ("i cant log in with ana@example.com", False),
        ("hello", False),
    ],
)
def test_bare_answers(text: str, bare: bool) -> None:
    assert is_bare_answer(text, find_entities(NLP(text.lower()), text)) is bare
