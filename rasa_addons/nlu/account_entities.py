"""Finds email addresses and one-time codes in a message with spaCy's token attributes.

Addresses and 6-digit codes have a fixed shape, so a learned extractor only adds
ways to get them wrong. spaCy's `like_email` decides what is an address; any other
token with an "@" between two non-empty parts is reported too, so the assistant
can tell the learner that the address looks incomplete instead of ignoring it.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def find_entities(doc: Any, text: str) -> list[dict[str, Any]]:
    """Returns `email` and `code` entities for a spaCy doc of `text`."""
    entities = []
    tokens = list(doc)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        start, end = token.idx, token.idx + len(token.text)
        kind = None
        if token.like_email or _looks_like_partial_address(token.text):
            kind = "email"
        elif token.is_digit and len(token.text) == 6:
            kind = "code"
        elif (
            token.is_digit
            and len(token.text) == 3
            and index + 1 < len(tokens)
            and tokens[index + 1].is_digit
            and len(tokens[index + 1].text) == 3
        ):
            # "123 456": a code read out in two halves.
            kind = "code"
            index += 1
            end = tokens[index].idx + 3
        if kind:
            entities.append({"entity": kind, "start": start, "end": end, "value": text[start:end]})
        index += 1
    return entities


def _looks_like_partial_address(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and domain and domain[0].isalnum())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AccountEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `email` and `code` entities using the doc SpacyNLP already made."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AccountEntityExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            found = self.add_extractor_name(find_entities(doc, message.get(TEXT)))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


# What the featurizers read instead of an address or a code: which address or code it is
# says nothing about what the learner wants, but its letters and digits would count as
# words ("gmail", "ac.uk") and pull towards whichever intent had similar addresses.
ADDRESS_LEMMA = "emailaddress"
CODE_LEMMA = "onetimecode"


def value_lemma(text: str) -> str | None:
    """The stand-in lemma of a token that is an address or a (half) code, else None."""
    if _looks_like_partial_address(text):
        return ADDRESS_LEMMA
    if text.isdigit() and len(text) in (3, 6):
        return CODE_LEMMA
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class AccountValueLemmas(GraphComponent):
    """Gives every address and code token one stand-in lemma, in training and in use, so
    the classifier learns "a message with an address" rather than the addresses."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AccountValueLemmas:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                lemma = value_lemma(token.text)
                if lemma is not None:
                    token.lemma = lemma
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BareAnswerClassifier(GraphComponent):
    """A message that is only an address or a code is an answer (`inform`), whatever the
    statistical classifier thinks: nothing else is left in it to understand."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [AccountEntityExtractor]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BareAnswerClassifier:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if is_bare_answer(message.get(TEXT) or "", message.get(ENTITIES, [])):
                message.set(INTENT, {"name": "inform", "confidence": 1.0}, add_to_output=True)
                message.set(
                    INTENT_RANKING_KEY, [{"name": "inform", "confidence": 1.0}], add_to_output=True
                )
        return messages


def is_bare_answer(text: str, entities: list[dict[str, Any]]) -> bool:
    """True when removing the address and code entities leaves no word or digit."""
    spans = [e for e in entities if e.get("entity") in ("email", "code")]
    if not spans:
        return False
    rest = list(text)
    for entity in spans:
        rest[entity["start"] : entity["end"]] = [" "] * (entity["end"] - entity["start"])
    return not any(char.isalnum() for char in "".join(rest))
