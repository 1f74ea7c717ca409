"""Yes/no with nothing pending, and the "did you mean" fallback."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultAskAffirmation
from tests.actions.conftest import Chat, joined


async def test_a_yes_out_of_the_blue_offers_the_topics(chat: Chat) -> None:
    reply = joined(await chat.yes())
    assert "What would you like help with?" in reply
    assert "I can't log in" in chat.buttons()


async def test_did_you_mean_names_the_likely_topics_in_plain_words(chat: Chat) -> None:
    tracker = chat.tracker("nlu_fallback", "stuff with my thing")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "missing_courses", "confidence": 0.25},
        {"name": "greet", "confidence": 0.2},
        {"name": "duplicate_account", "confidence": 0.2},
    ]
    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, {})
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["My courses are missing", "I may have two accounts", "Something else"]


async def test_unclear_answer_to_a_yes_no_question_offers_yes_and_no_first(chat: Chat) -> None:
    await chat.cant_log_in()
    tracker = chat.tracker("nlu_fallback", "hmm the address is right i think")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "account_not_found", "confidence": 0.25},
        {"name": "deny", "confidence": 0.2},
    ]
    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, {})
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/affirm", "/deny", "/account_not_found", "/out_of_scope"]
