"""socket.io sessions are issued by the server: an id it did not sign starts a new
conversation, and a socket cannot write into a conversation it was not given."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import pytest

from rasa_addons.channels.socketio import SessionIds
from stack.learner import SocketLearner
from stack.processes import Stack


def confirmed_for(stack: Stack, requested: str | None) -> str:
    with SocketLearner(stack.config, sender=requested) as learner:
        return learner.sender


def user_events(learner: SocketLearner, count: int) -> list[dict[str, Any]]:
    """The conversation's user events once `count` are stored (the turn may still be saving)."""
    deadline = time.monotonic() + 30
    while True:
        users = [json.loads(data) for kind, data in learner.events() if kind == "user"]
        if len(users) >= count or time.monotonic() > deadline:
            return users
        time.sleep(0.2)


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


@pytest.mark.parametrize(
    "requested",
    [
        None,
        "learner-1234",
        "not.signed",
        f"{secrets.token_hex(16)}.{'0' * 32}",
        SessionIds(b"another server's key").issue(),
        f"{'é' * 32}.{'ü' * 32}",
        secrets.token_hex(16) + "." + "\udcff" * 32,
    ],
    ids=[
        "missing",
        "unsigned",
        "malformed",
        "bad-signature",
        "foreign-key",
        "non-ascii",
        "surrogates",
    ],
)
def test_other_ids_get_a_new_conversation(stack: Stack, requested: str | None) -> None:
    issued = confirmed_for(stack, requested)
    assert issued != requested
    assert confirmed_for(stack, issued) == issued


def test_an_ended_session_gets_a_new_conversation(stack: Stack) -> None:
    """An id the server signed, issued more than SESSION_MAX_HOURS (12) ago, is not resumed;
    one issued an hour ago is."""
    key = stack.config.secrets["SESSION_SIGNING_KEY"].encode()
    ended = SessionIds(key, clock=lambda: time.time() - 13 * 3600).issue()
    assert confirmed_for(stack, ended) != ended
    recent = SessionIds(key, clock=lambda: time.time() - 3600).issue()
    assert confirmed_for(stack, recent) == recent


def test_an_altered_id_gets_a_new_conversation(stack: Stack) -> None:
    issued = confirmed_for(stack, None)
    last = issued[-1]
    altered = issued[:-1] + ("0" if last != "0" else "1")
    assert confirmed_for(stack, altered) not in (altered, issued)


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
