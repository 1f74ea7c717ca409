"""Reads a mistyped word as the training word it was meant to be ("pasword", "acount").

Learners type fast: a word with one letter dropped, doubled, swapped or hit next to the
right key is a word the classifier has never seen, so it loses that word's features.
This component learns the words of the training data and, when a message has a word
that is neither one of them nor an English word spaCy's lemma tables know, gives it the
lemma of the training word one edit away (the most frequent one if there are several).
Only the lemma that the featurizers read changes; the text, the entities and what the
learner sees stay as typed.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "vocabulary.json"


def deletions(word: str) -> set[str]:
    """The word and every form of it with one letter left out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit_apart(typed: str, known: str) -> bool:
    """True for one dropped, added or changed letter, or two neighbours swapped."""
    if typed == known or abs(len(typed) - len(known)) > 1:
        return False
    if len(typed) == len(known):
        diff = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        first, second = diff if len(diff) == 2 else (0, 0)
        return (
            len(diff) == 2
            and second == first + 1
            and typed[first] == known[second]
            and typed[second] == known[first]
        )
    shorter, longer = sorted((typed, known), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@functools.cache
def english_words() -> frozenset[str]:
    """Words spaCy's English lemma table knows (inflected forms and their lemmas); read once."""
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    words = {str(key) for key in table.keys()} | {str(value) for value in table.values()}
    return frozenset(word.lower() for word in words)


class Vocabulary:
    """Training words with their lemma and how often they occur, indexed for lookups."""

    MIN_LENGTH = 4  # shorter words are too often one edit from another real word

    def __init__(self, lemmas: dict[str, str], counts: dict[str, int]) -> None:
        self.lemmas = lemmas
        self.counts = counts
        self._by_deletion: dict[str, list[str]] = {}
        for word in sorted(lemmas):
            for variant in deletions(word):
                self._by_deletion.setdefault(variant, []).append(word)

    @classmethod
    def from_tokens(cls, tokens: Iterable[Token]) -> Vocabulary:
        lemmas: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for token in tokens:
            word = token.text.lower()
            if word.isalpha():
                lemmas.setdefault(word, token.lemma or word)
                counts[word] += 1
        return cls(lemmas, dict(counts))

    def correction(self, typed: str) -> str | None:
        """The training word one edit from `typed`, or None."""
        candidates = {
            word
            for variant in deletions(typed)
            for word in self._by_deletion.get(variant, ())
            if len(word) >= self.MIN_LENGTH and one_edit_apart(typed, word)
        }
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda word: self.counts[word])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TypoLemmaCorrector(GraphComponent):
    """Gives a mistyped word the lemma of the training word it was meant to be."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TypoLemmaCorrector:
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TypoLemmaCorrector:
        with model_storage.read_from(resource) as directory:
            saved = json.loads((directory / VOCABULARY_FILE).read_text())
        english_words()  # read the tables while the model loads, not on the first message
        return cls(model_storage, resource, Vocabulary(saved["lemmas"], saved["counts"]))

    def train(self, training_data: TrainingData) -> Resource:
        tokens = (
            token
            for message in training_data.training_examples
            for token in message.get(TOKENS_NAMES[TEXT]) or []
        )
        self.vocabulary = Vocabulary.from_tokens(tokens)
        with self._model_storage.write_to(self._resource) as directory:
            saved = {"lemmas": self.vocabulary.lemmas, "counts": self.vocabulary.counts}
            (directory / VOCABULARY_FILE).write_text(json.dumps(saved, sort_keys=True))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training words are the vocabulary itself: nothing to correct."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self.vocabulary is None:
            return messages
        english = english_words()
        for message in messages:
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                typed = token.text.lower()
                if (
                    len(typed) < Vocabulary.MIN_LENGTH
                    or not typed.isalpha()
                    or typed in self.vocabulary.lemmas
                    or typed in english
                ):
                    continue
                meant = self.vocabulary.correction(typed)
                if meant is not None:
                    token.lemma = self.vocabulary.lemmas[meant]
        return messages
