"""Mistyped words are read as the training words they were meant to be, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.nlu.spacy_model import build_pipeline
from rasa_addons.nlu.spelling import TypoLemmaCorrector, Vocabulary, one_edit_apart

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    """Built from the real training data with the real spaCy lemmas, as training does."""
    nlp = build_pipeline()
    examples = load_data(str(ROOT / "data" / "nlu")).intent_examples
    tokens = [
        Token(word.text, word.idx, lemma=word.lemma_)
        for doc in nlp.pipe(example.get("text") for example in examples)
        for word in doc
    ]
    return Vocabulary.from_tokens(tokens)


@pytest.mark.parametrize(
    ("typed", "known", "apart"),
    [
        ("pasword", "password", True),  # dropped letter
        ("passsword", "password", True),  # doubled letter
        ("passwrod", "password", True),  # swapped neighbours
        ("passwird", "password", True),  # neighbouring key
        ("password", "password", False),  # no edit
        ("pswrd", "password", False),  # three letters missing
        ("paswrod", "password", False),  # two edits
        ("account", "accent", False),
    ],
)
def test_one_edit_apart(typed: str, known: str, apart: bool) -> None:
    assert one_edit_apart(typed, known) is apart


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pasword", "password"),
        ("acount", "account"),
        ("verfication", "verification"),
        ("captha", "captcha"),
        ("coruses", "courses"),
        ("emial", "email"),
    ],
)
def test_typos_of_training_words_are_corrected(
    vocabulary: Vocabulary, typed: str, meant: str
) -> None:
    assert meant in vocabulary.lemmas
    assert vocabulary.correction(typed) == meant


def test_only_unknown_words_get_a_new_lemma(vocabulary: Vocabulary) -> None:
    corrector = TypoLemmaCorrector(None, None, vocabulary)  # type: ignore[arg-type]
    nlp = build_pipeline()
    text = "i forgott my passwprd for ana@example.com and want a refnud of the guitar course"
    tokens = [Token(word.text, word.idx, lemma=word.lemma_) for word in nlp(text)]
    message = Message({TEXT: text, TOKENS_NAMES[TEXT]: tokens})
    before = {token.text: token.lemma for token in tokens}

    corrector.process([message])

    after = {token.text: token.lemma for token in message.get(TOKENS_NAMES[TEXT])}
    assert after["passwprd"] == vocabulary.lemmas["password"]
    assert after["forgott"] == vocabulary.lemmas["forgot"]
    changed = {word for word in after if after[word] != before[word]}
    assert changed <= {"passwprd", "forgott", "refnud"}
    assert "guitar" not in vocabulary.lemmas and after["guitar"] == "guitar"
    assert after["ana@example.com"] == before["ana@example.com"]


def test_nothing_far_from_every_training_word_is_corrected(vocabulary: Vocabulary) -> None:
    assert vocabulary.correction("xylophonist") is None
    assert vocabulary.correction("qqqq") is None
