"""Runs the conversations in tests/conversations/<topic>.yml against the running stack.

Each turn is sent over the REST channel to the real Rasa server, action server and
account service; `{code}` stands for the newest code mailed to the conversation's
`address`, read from the outbox as the learner would. A turn may name the responses it
expects (in order, read from the stored tracker), text fragments and button titles, and
`pause_before`: seconds the learner takes before typing it.

Every turn of every conversation is also held to the conversation rules: never a
silent turn or an apology, at most one question, and "Did that work?" / "Did this
solve your problem?" only after something new to try. A conversation
marked `offers_every_step` must have been given every step of its file's section
before it is offered a person.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import RestLearner
from stack.processes import Stack

HERE = Path(__file__).resolve().parent
OUTCOME_QUESTIONS = {"utter_did_that_work", "utter_did_this_solve"}
OFFER_PERSON = "utter_offer_ticket"


@dataclass(frozen=True)
class Conversation:
    topic: str
    steps: tuple[str, ...]
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.topic}: {self.spec['name']}"


def load() -> list[Conversation]:
    conversations = []
    for path in sorted(HERE.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        steps = tuple(data.get("steps") or ())
        for spec in data["conversations"]:
            conversations.append(Conversation(path.stem, steps, spec))
    return conversations


CONVERSATIONS = load()


@pytest.fixture
def chat(rest_learner: RestLearner, stack: Stack) -> Any:
    yield rest_learner
    # Forget the conversation's codes, so the next one may ask for codes to the same persona.
    config = stack.config
    request = urllib.request.Request(
        f"{config.account_url}/conversations/{urllib.parse.quote(rest_learner.sender)}",
        method="DELETE",
        headers={"X-API-Key": config.api_key},
    )
    urllib.request.urlopen(request, timeout=10).close()


class RuleCheck:
    """The conversation rules every turn is held to."""

    def __init__(self) -> None:
        # Whether something to try was said since the last "did that work?".
        self.something_to_try = False

    def turn(self, number: int, texts: list[str], names: list[str]) -> None:
        where = f"turn {number}: {names}"
        assert texts and all(text.strip() for text in texts), f"{where}: a silent or empty reply"
        assert TROUBLE_REPLY not in texts, f"{where}: the apology"
        questions = [text for text in texts if text.rstrip().endswith("?")]
        assert len(questions) <= 1, f"{where}: more than one question: {questions}"
        for name, text in zip(names, texts, strict=True):
            if name in OUTCOME_QUESTIONS:
                assert self.something_to_try, f"{where}: {name} without anything new to try"
                self.something_to_try = False
            elif not text.rstrip().endswith("?"):
                self.something_to_try = True


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c.name for c in CONVERSATIONS])
def test_conversation(chat: RestLearner, conversation: Conversation) -> None:
    spec = conversation.spec
    said: list[str] = []
    rules = RuleCheck()
    for number, turn in enumerate(spec["turns"], start=1):
        message = str(turn["learner"])
        # A learner takes a moment before some answers (the service waits after a wrong code).
        time.sleep(float(turn.get("pause_before", 0)))
        if "{code}" in message:
            message = message.replace("{code}", chat.latest_code(spec["address"]))
        texts = chat.say(message)
        names = chat.last_turn_responses()
        rules.turn(number, texts, names)
        where = f"turn {number} ({message!r}) got {names}: {texts}"
        if "responses" in turn:
            assert names == turn["responses"], where
        joined = "\n".join(texts)
        for fragment in turn.get("says", []):
            assert fragment in joined, f"{where}: missing {fragment!r}"
        if "buttons" in turn:
            assert [button["title"] for button in chat.buttons()] == turn["buttons"], where
        if OFFER_PERSON in names and spec.get("offers_every_step"):
            missing = [step for step in conversation.steps if step not in said]
            assert not missing, f"{where}: a person offered before {missing}"
        said += names


def test_every_section_has_its_three_paths() -> None:
    """The step that works, every step failing into a person, a topic switch midway."""
    for topic in {c.topic for c in CONVERSATIONS if c.steps}:
        kinds = {c.spec.get("path") for c in CONVERSATIONS if c.topic == topic}
        assert {"works", "person", "switch"} <= kinds, f"{topic} has only {kinds}"


def test_the_outbox_reader_finds_codes(chat: RestLearner) -> None:
    """The runner's `{code}` really reads the account service (guards the fixture itself)."""
    chat.say("ana.silva@example.com")
    chat.say("yes")
    mails = chat.outbox("ana.silva@example.com")
    assert any(chat.latest_code("ana.silva@example.com") in mail["body"] for mail in mails)
