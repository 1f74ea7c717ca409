"""Yes/no with nothing pending, and the "did you mean" fallback."""

from __future__ import annotations

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
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, {})
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["My courses are missing", "I may have two accounts", "Something else"]
