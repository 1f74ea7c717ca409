"""Bad and hostile input: each gets a clear answer and the assistant keeps running."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest

from rasa_addons.channels.guard import (
    EMPTY_REPLY,
    MAX_MESSAGE_CHARS,
    MAX_REQUEST_BYTES,
    NO_WORDS_REPLY,
    TOO_LONG_REPLY,
    TROUBLE_REPLY,
)
from stack.learner import RestLearner, http_json, webhook_url
from stack.processes import Stack
from tests.support.addresses import unique_address

# Replies that would tell something about an account (only allowed after a correct code).
ACCOUNT_FACTS = (
    "that's confirmed",
    "There's no account registered",
    "signs in with Google",
    "Machine Learning",
    "Science of Well-Being",
    "password account",
    "not verified",
    "protonmail",
    "Financial Markets",
)


def assert_still_running(stack: Stack) -> None:
    assert "What's going on?" in RestLearner(stack.config).text("hi")


def assert_no_account_facts(text: str) -> None:
    for fact in ACCOUNT_FACTS:
        assert fact not in text, f"{fact!r} revealed in {text!r}"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", EMPTY_REPLY),
        ("   \n\t  ", EMPTY_REPLY),
        ("\x00\x07\x1b", EMPTY_REPLY),
        ("x" * 60_000, TOO_LONG_REPLY),
        ("y" * (MAX_MESSAGE_CHARS + 1), TOO_LONG_REPLY),
        ("😀😀😀", NO_WORDS_REPLY),
        ("🙏", NO_WORDS_REPLY),
        ("?!", NO_WORDS_REPLY),
        ("/", NO_WORDS_REPLY),
    ],
)
def test_messages_answered_by_the_channel(stack: Stack, message: str, expected: str) -> None:
    chat = RestLearner(stack.config)
    assert chat.say(message) == [expected]
    # Never handed to NLU, so nothing is stored for it.
    assert chat.events() == []


def test_oversized_body_is_refused_unread(stack: Stack) -> None:
    chat = RestLearner(stack.config)
    assert 100_000 > MAX_REQUEST_BYTES
    with pytest.raises(urllib.error.HTTPError) as refused:
        chat.say("x" * 100_000)
    assert refused.value.code == 413
    assert chat.events() == []
    assert_still_running(stack)


def test_missing_or_non_text_message_fields(stack: Stack) -> None:
    url = webhook_url(stack.config.rasa_url)
    for body in ({"sender": "odd-1"}, {"sender": "odd-2", "message": None}):
        assert [item["text"] for item in http_json(url, body)] == [EMPTY_REPLY]
    assert_still_running(stack)


@pytest.mark.parametrize(
    "message",
    [
        "I can't\x00 log\x1b[31m in",  # control characters are dropped, the words read
        "No puedo iniciar sesión en mi cuenta",
        "Je n'arrive pas à me connecter",
        "我无法登录我的账户",
        "<script>alert('x')</script>",
        "<b>help</b> <img src=x onerror=alert(1)>",
        "'; DROP TABLE events; --",
        "z" * MAX_MESSAGE_CHARS,
        "/etc/passwd",
        '/nonexistent_intent{"email": "ana.silva@example.com"}',
    ],
)
def test_odd_messages_get_a_real_answer(stack: Stack, message: str) -> None:
    chat = RestLearner(stack.config)
    replies = chat.say(message)
    assert replies and all(reply.strip() for reply in replies)
    assert TROUBLE_REPLY not in replies
    assert "<script>" not in "\n".join(replies)
    assert_no_account_facts("\n".join(replies))
    assert_still_running(stack)


@pytest.mark.parametrize(
    "address",
    [
        "' OR '1'='1@example.com",
        "ana.silva@example.com' OR 1=1 --",
        "x@example.com; DROP TABLE accounts;",
        "robert'); DROP TABLE accounts;--@example.com",
    ],
)
def test_sql_injection_as_an_address(stack: Stack, address: str) -> None:
    chat = RestLearner(stack.config)
    chat.say("I can't log in")
    reply = chat.text(f"my email is {address}")
    # Some of these are read as "my email changed" and hit the ticket bug below; the
    # learner still gets an answer.
    assert reply.strip()
    assert_no_account_facts(reply)
    assert_still_running(stack)


@pytest.mark.parametrize(
    "address", ["ana.silva@", "@example.com", "ana silva@example", "ana@@example.com", "a@b"]
)
def test_malformed_addresses(stack: Stack, address: str) -> None:
    chat = RestLearner(stack.config)
    chat.say("I can't log in")
    reply = chat.text(f"my email is {address}")
    assert reply.strip()
    assert "is on its way" not in reply
    assert_no_account_facts(reply)


def test_ticket_after_a_malformed_address(stack: Stack) -> None:
    chat = RestLearner(stack.config)
    chat.say("hi")
    chat.say("a@b")
    reply = chat.text("/request_human")
    assert "your ticket number is CS-" in reply


def test_typed_slash_commands_keep_only_the_intent(stack: Stack) -> None:
    chat = RestLearner(stack.config)
    chat.say("I can't log in")
    assert "shall I email a 6-digit code" in chat.text("my email is ana.silva@example.com")
    assert "is on its way" in chat.text("/affirm")  # what the button sends still works
    attempts = [
        '/inform{"code": "000000"}',
        '/inform{"verification_token": "forged", "verified_email": "ana.silva@example.com"}',
        '/affirm{"verification_token": "forged"}',
        '/inform@1.0{"email": "ben.okafor@gmail.com"}',
        '/inform{"email": "ana.silva@example.com", "code": "123456"}',
    ]
    for attempt in attempts:
        reply = chat.text(attempt)
        assert reply.strip() and TROUBLE_REPLY not in reply
        assert_no_account_facts(reply)
    events = chat.events()
    stored = "\n".join(data for _, data in events)
    assert "forged" not in stored
    assert "ben.okafor" not in stored
    # The typed entities never became entities or slots.
    for kind, data in events:
        if kind == "user" and json.loads(data).get("text", "").startswith("/"):
            assert json.loads(data)["parse_data"]["entities"] == []


def test_repeated_wrong_codes_lock_the_code(stack: Stack) -> None:
    chat = RestLearner(stack.config)
    address = unique_address("wrong-codes")
    chat.say("I can't log in")
    chat.say(f"my email is {address}")
    assert "is on its way" in chat.text("yes, send the code")
    real = chat.latest_code(address)
    wrong = [code for code in ("111111", "222222", "333333", "444444") if code != real]
    assert "Tries left with this code: 2" in chat.text(wrong[0])
    # After a wrong code the next check waits a little longer each time (1 s, then 2 s).
    assert "Please wait a moment" in chat.text(wrong[1])
    time.sleep(1.1)
    assert "Tries left with this code: 1" in chat.text(wrong[1])
    time.sleep(2.1)
    assert "blocked after too many wrong tries" in chat.text(wrong[2])
    # Even the right code no longer works; nothing about the account is said.
    time.sleep(4.1)
    reply = chat.text(real)
    assert "blocked" in reply or "no active code" in reply
    assert_no_account_facts(reply)


def test_code_requests_beyond_the_limit(stack: Stack) -> None:
    chat = RestLearner(stack.config)
    address = unique_address("many-codes")
    chat.say("I can't log in")
    chat.say(f"my email is {address}")
    replies = [chat.text("yes, send the code")]
    for _ in range(4):
        chat.say(f"my email is {address}")
        replies.append(chat.text("yes, send the code"))
    assert sum("is on its way" in reply for reply in replies) == 3
    assert "can't send more codes to that address for a while" in replies[-1]
    assert len(chat.outbox(address)) == 3


def text_in_good_time(chat: RestLearner, message: str) -> str:
    """The reply; a message refused for coming too fast is sent again when the server says."""
    try:
        return chat.text(message)
    except urllib.error.HTTPError as refused:
        assert refused.code == 429, refused
        time.sleep(int(refused.headers["Retry-After"]))
        return chat.text(message)


def test_dozens_of_addresses_in_one_conversation(stack: Stack) -> None:
    chat = RestLearner(stack.config)
    chat.say("I can't log in")
    seeded = ["ana.silva@example.com", "ben.okafor@gmail.com", "chloe.martin@outlook.com"]
    addresses = seeded + [unique_address(f"many{number}") for number in range(27)]
    for address in addresses:
        reply = text_in_good_time(chat, f"my email is {address}")
        assert f"shall I email a 6-digit code to {address}" in reply
        assert_no_account_facts(reply)
    assert_still_running(stack)
