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


def test_topic_switch_mid_flow_and_free_text_answers(rest_chat: RestChat) -> None:
    assert "letter by letter" in rest_chat.text("I can't log in to my account")
    assert "Forgot password?" in rest_chat.text("nope, address is fine")
    switched = rest_chat.text("hold on, all my courses have disappeared")
    assert "In Progress" in switched and "Completed" in switched
    assert "second account" in rest_chat.text("not there")
    assert "ticket number is CS-" in rest_chat.text("I'd like to talk to a human please")


def test_address_given_in_a_greeting_is_used_for_the_next_topic(rest_chat: RestChat) -> None:
    rest_chat.say("hi, my email is emma.jones@yahoo.com")
    reply = rest_chat.text("i think i have two accounts")
    assert "shall I email a 6-digit code to emma.jones@yahoo.com" not in reply
    rest_chat.say("emma.jones@yahoo.com")
    rest_chat.say("yes")
    reply = rest_chat.text(rest_chat.latest_code("emma.jones@yahoo.com"))
    assert "e***@gmail.com" in reply and "Financial Markets" in reply


def test_unclear_messages_get_did_you_mean_then_rephrase_then_a_person(rest_chat: RestChat) -> None:
    first = rest_chat.text("my thing is broken")
    assert "Did you mean" in first
    titles = [button["title"] for button in rest_chat.buttons()]
    assert "Something else" in titles and len(titles) >= 2
    assert "say it another way" in rest_chat.text("/out_of_scope")
    assert "In Progress" in rest_chat.text("my courses vanished from the dashboard")


def test_every_kind_of_message_gets_an_answer(rest_chat: RestChat) -> None:
    for message in [
        "hello",
        "are you a real person?",
        "what's the weather in Lisbon",
        "the captcha with the buses never ends",
        "yes",
        "how do I change my name on my profile",
        "no",
        "no thanks",
        "thanks a lot",
        "bye",
    ]:
        assert any(text.strip() for text in rest_chat.say(message)), message
