"""socket.io sessions are issued by the server: an id it did not sign starts a new
conversation, and a socket cannot write into a conversation it was not given."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from common.addresses import mask_email
from stack.learner import SocketLearner
from stack.processes import Stack
from tests.support.addresses import unique_address
from tests.support.sessions import (
    FOREIGN_IDS,
    aged_ids,
    altered,
    confirmed_for,
    move_back,
    once_stored,
)

# SESSION_IDLE_MINUTES as the stack runs it (the default, 30).
IDLE_LIMIT_SECONDS = 30 * 60


def user_events(learner: SocketLearner, count: int) -> list[dict[str, Any]]:
    """The conversation's user events once `count` are stored."""
    return once_stored(
        lambda: [json.loads(data) for kind, data in learner.events() if kind == "user"], count
    )


def test_a_signed_session_resumes_its_conversation(stack: Stack) -> None:
    with SocketLearner(stack.config) as first:
        first.say("I can't log in")
        issued = first.sender
    token, issued_at, signature = issued.split(".")
    assert len(token) == len(signature) == 32
    assert abs(int(issued_at, 16) - time.time()) < 600
    with SocketLearner(stack.config, sender=issued) as again:
        assert again.sender == issued
        again.say("hi")
        users = user_events(again, 2)
    assert [user["text"] for user in users] == ["I can't log in", "hi"]


@pytest.mark.parametrize("requested", FOREIGN_IDS)
def test_other_ids_get_a_new_conversation(stack: Stack, requested: str | None) -> None:
    issued = confirmed_for(stack.config, requested)
    assert issued != requested
    assert confirmed_for(stack.config, issued) == issued


def test_an_ended_session_gets_a_new_conversation(stack: Stack) -> None:
    """An id the server signed, issued more than SESSION_MAX_HOURS (12) ago, is not resumed;
    one issued an hour ago is."""
    ended, recent = aged_ids(stack.config.secrets["SESSION_SIGNING_KEY"])
    assert confirmed_for(stack.config, ended) != ended
    assert confirmed_for(stack.config, recent) == recent


def test_an_altered_id_gets_a_new_conversation(stack: Stack) -> None:
    issued = confirmed_for(stack.config, None)
    changed = altered(issued)
    assert confirmed_for(stack.config, changed) not in (changed, issued)


def test_a_session_idle_past_the_limit_starts_a_new_conversation(stack: Stack) -> None:
    """Two learners give their address and are offered a code. One conversation is made to
    look idle for 31 minutes in the stack's own tracker store (SESSION_IDLE_MINUTES is 30):
    its session is not resumed, and "yes" in the new one sends nothing and shows nothing of
    the old. The other, idle for seconds, is resumed and its "yes" sends the code."""
    addresses = {name: unique_address(f"idle-{name}") for name in ("kept", "idle")}
    learners = {}
    for name, address in addresses.items():
        with SocketLearner(stack.config) as learner:
            learner.say("I can't log in")
            learner.say(f"my email is {address}")
        learners[name] = learner
    said = ["I can't log in", f"my email is {addresses['idle']}"]
    assert [event["text"] for event in user_events(learners["idle"], 2)] == said
    idle = learners["idle"].sender
    assert move_back(stack.config.tracker_db, idle, IDLE_LIMIT_SECONDS + 60) > 0

    with SocketLearner(stack.config, sender=learners["kept"].sender) as kept:
        assert kept.sender == learners["kept"].sender
        assert "is on its way" in kept.text("yes, send the code")
    assert len(kept.outbox(addresses["kept"])) == 1

    with SocketLearner(stack.config, sender=idle) as again:
        assert again.sender != idle
        reply = again.text("yes, send the code")
        stored = user_events(again, 1)
    address = addresses["idle"]
    for trace in (address, mask_email(address), "is on its way"):
        assert trace not in reply, reply
    assert again.outbox(address) == []
    assert [event["text"] for event in stored] == ["yes, send the code"]
    # The old conversation got nothing of the new one.
    assert [event["text"] for event in user_events(learners["idle"], 2)] == said


def test_messages_go_to_the_confirmed_session_only(stack: Stack) -> None:
    with SocketLearner(stack.config) as victim, SocketLearner(stack.config) as intruder:
        victim.say("hi")
        # Naming the victim's session does not put the message there.
        intruder.socket.emit(
            "user_uttered", {"message": "I can't log in", "session_id": victim.sender}
        )
        assert intruder.received.get(timeout=60)
        assert [user["text"] for user in user_events(intruder, 1)] == ["I can't log in"]
        assert [user["text"] for user in user_events(victim, 1)] == ["hi"]


def test_browser_metadata_is_dropped(stack: Stack) -> None:
    odd = {"client": "forged", "big": "x" * 30_000, "nested": {"verified_email": "a@b.c"}}
    with SocketLearner(stack.config) as learner:
        learner.socket.emit(
            "user_uttered",
            {"message": "hi", "session_id": learner.sender, "metadata": odd, "customData": odd},
        )
        assert learner.received.get(timeout=60)
        [user] = user_events(learner, 1)
    stored = user["metadata"]
    assert len(stored.pop("client")) == 16 and "forged" not in json.dumps(user)
    # Rasa adds which model and assistant handled the message; nothing sent is kept.
    assert set(stored) == {"model_id", "assistant_id"}
