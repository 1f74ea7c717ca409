"""Runs the conversations in tests/conversations/<topic>.yml against the running stack.

Each turn is sent over the REST channel to the real Rasa server, action server and
account service, and judged by stack/conversations.py: the responses, text and buttons it
names, and the conversation rules every turn is held to. A conversation marked
`offers_every_step` must have been given every step of its file's section before it is
offered a person. Each conversation's test story in tests/stories/ must be the one it gives
now (stack/stories.py; `make stories` writes them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stack.conversations import Conversation, forget_codes, load, play
from stack.learner import RestLearner
from stack.processes import Stack
from stack.stories import stale

HERE = Path(__file__).resolve().parent
CONVERSATIONS = load(list(HERE.glob("*.yml")))


@pytest.fixture
def chat(rest_learner: RestLearner, stack: Stack) -> Any:
    yield rest_learner
    forget_codes(stack.config, rest_learner.sender)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c.name for c in CONVERSATIONS])
def test_conversation(chat: RestLearner, conversation: Conversation) -> None:
    for turn in play(conversation, chat):
        assert turn.right, (
            f"turn {turn.number} ({turn.message!r}) got {turn.names}: {turn.texts}: {turn.problems}"
        )
    # The same path as a test story (tests/stories/), written from this conversation.
    problem = stale(conversation, [json.loads(data) for _, data in chat.events()])
    assert problem is None, problem


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
