"""Turn ids through the running stack: a message sent again with its turn id gets the first
answer again and is stored once, over REST and socket.io, also when both copies arrive
together; messages without a usable id are handled as before."""

from __future__ import annotations

import json
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.turns import replies_given, turn_id
from stack.learner import RestLearner, SocketLearner, new_turn, reply_texts
from stack.processes import Stack


def user_events(learner: RestLearner | SocketLearner) -> list[dict]:
    events = [json.loads(data) for kind, data in learner.events() if kind == "user"]
    return [{"text": event["text"], "message_id": event.get("message_id")} for event in events]


def bot_texts(learner: RestLearner | SocketLearner) -> list[str]:
    return [json.loads(data)["text"] for kind, data in learner.events() if kind == "bot"]


def test_a_repeated_rest_turn_is_answered_from_the_first_time(stack: Stack) -> None:
    learner = RestLearner(stack.config)
    learner.say("hello")
    turn = new_turn()
    first = learner.replies_to("I can't log in to my account", turn)
    bots_after_first = bot_texts(learner)
    again = learner.replies_to("I can't log in to my account", turn)
    assert first and again == first
    assert bot_texts(learner) == bots_after_first
    assert [event["message_id"] for event in user_events(learner)][-1] == turn
    assert len(user_events(learner)) == 2
    # The next new turn carries on from where the conversation is.
    assert learner.say("no")


def test_a_replayed_turn_shows_addresses_masked(stack: Stack) -> None:
    """A turn id kept in a browser (the widget keeps them) brings back no more than the
    browser kept: the learner's address is masked in the replayed replies."""
    learner = RestLearner(stack.config)
    learner.say("I can't log in")
    turn = new_turn()
    first = reply_texts(learner.replies_to("my email is ben.okafor@gmail.com", turn))
    assert any("ben.okafor@gmail.com" in text for text in first)
    again = reply_texts(learner.replies_to("my email is ben.okafor@gmail.com", turn))
    assert len(again) == len(first)
    assert not any("ben.okafor" in text for text in again)
    assert any("b***@gmail.com" in text for text in again)


def test_the_same_turn_sent_twice_at_once_is_handled_once(stack: Stack) -> None:
    learner = RestLearner(stack.config)
    turn = new_turn()
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: learner.replies_to("hello", turn), range(2)))
    assert answers[0] and answers[0] == answers[1]
    assert [event["text"] for event in user_events(learner)] == ["hello"]


@pytest.mark.parametrize("sent_id", [None, "short", "has spaces in it", "x" * 65, 12345678])
def test_messages_without_a_usable_turn_id_are_each_handled(stack: Stack, sent_id: object) -> None:
    from stack.learner import http_json, message, webhook_url

    learner = RestLearner(stack.config)
    body = {**message(learner.sender, "hello"), "message_id": sent_id}
    for _ in range(2):
        assert http_json(webhook_url(stack.config.rasa_url), body)
    events = user_events(learner)
    assert len(events) == 2
    assert events[0]["message_id"] != events[1]["message_id"]


def test_a_repeated_socket_turn_replays_numbered_replies(stack: Stack) -> None:
    with SocketLearner(stack.config) as learner:
        turn = new_turn()
        first = learner.replies_to("hello", turn)
        again = learner.replies_to("hello", turn)
    assert [reply["reply_index"] for reply in first] == list(range(len(first)))
    assert {reply["message_id"] for reply in first} == {turn}
    assert again == first
    assert [event["text"] for event in user_events(learner)] == ["hello"]


def test_replies_given_are_those_between_the_turn_and_the_next_message() -> None:
    events = [
        UserUttered("hi", message_id="turn-one-1"),
        BotUttered("Hello!", {"buttons": [{"title": "Log in", "payload": "/login"}]}),
        ActionExecuted("action_listen"),
        UserUttered("bye", message_id="turn-two-2"),
        BotUttered("Bye."),
    ]
    tracker = DialogueStateTracker.from_events("someone", events)
    first = replies_given(tracker, "turn-one-1")
    assert first is not None
    assert [(reply["text"], reply.get("buttons")) for reply in first] == [
        ("Hello!", [{"title": "Log in", "payload": "/login"}])
    ]
    second = replies_given(tracker, "turn-two-2")
    assert second is not None and [reply["text"] for reply in second] == ["Bye."]
    assert replies_given(tracker, "turn-three") is None
    assert turn_id("turn-one-1") == "turn-one-1" and turn_id("no") is None


def test_replies_given_follow_a_growing_and_a_replaced_conversation() -> None:
    """The positions of turn ids are kept on the tracker between lookups: new events are
    read, and a tracker whose events were replaced is read again."""
    tracker = DialogueStateTracker.from_events("someone", [UserUttered("hi", message_id="turn-1a")])
    assert replies_given(tracker, "turn-1a") == []
    assert replies_given(tracker, "turn-2b") is None
    tracker.update(BotUttered("Hello!"))
    tracker.update(UserUttered("bye", message_id="turn-2b"))
    tracker.update(BotUttered("Bye."))
    first, second = replies_given(tracker, "turn-1a"), replies_given(tracker, "turn-2b")
    assert first is not None and [reply["text"] for reply in first] == ["Hello!"]
    assert second is not None and [reply["text"] for reply in second] == ["Bye."]
    tracker.events = deque([UserUttered("new start", message_id="turn-3c"), BotUttered("Hi.")])
    assert replies_given(tracker, "turn-1a") is None
    third = replies_given(tracker, "turn-3c")
    assert third is not None and [reply["text"] for reply in third] == ["Hi."]
