"""Whole conversations through the real stack over REST: NLU, rules, actions, account service."""

from __future__ import annotations

from tests.stack_fixtures import RestChat


def test_greeting_lists_the_topics(rest_chat: RestChat) -> None:
    assert "What's going on?" in rest_chat.text("hello there")
    titles = [button["title"] for button in rest_chat.buttons()]
    assert "I can't log in" in titles and "Talk to a person" in titles


def test_cant_log_in_with_a_code_skips_to_the_google_button(rest_chat: RestChat) -> None:
    rest_chat.say("hi, i can't log into my account")
    assert "6-digit code" in rest_chat.text("my email is ben.okafor@gmail.com")
    rest_chat.say("yes please")
    reply = rest_chat.text(rest_chat.latest_code("ben.okafor@gmail.com"))
    assert "signs in with Google" in reply
    assert "Did this solve your problem?" in reply
