"""Runs the conversations in tests/conversations/<topic>.yml against the running stack.

Each turn is sent over the REST channel to the real Rasa server, action server and
account service, and judged by stack/conversations.py: the responses, text and buttons it
names, and the conversation rules every turn is held to. A conversation marked
`offers_every_step` must have been given every step of its file's section before it is
offered a person.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from stack.conversations import Conversation, load, play
from stack.learner import RestLearner
from stack.processes import Stack

HERE = Path(__file__).resolve().parent
CONVERSATIONS = load(list(HERE.glob("*.yml")))


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


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c.name for c in CONVERSATIONS])
def test_conversation(chat: RestLearner, conversation: Conversation) -> None:
    for turn in play(conversation, chat):
        assert turn.right, (
            f"turn {turn.number} ({turn.message!r}) got {turn.names}: {turn.texts}: {turn.problems}"
        )


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
