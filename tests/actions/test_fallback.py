"""The "did you mean …?" stage of the fallback: topics in plain words; yes and no first
after a question."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultAskAffirmation


def tracker(ranking: list[tuple[str, float]], last_bot: dict | None = None) -> Tracker:
    events = [{"event": "bot", "text": "…", "data": last_bot}] if last_bot else []
    return Tracker(
        sender_id="learner-1",
        slots={},
        latest_message={
            "text": "stuff with my thing",
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking],
            "entities": [],
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def suggestions(domain: Domain, track: Tracker) -> list[dict[str, str]]:
    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation().run(dispatcher, track, domain.as_dict())
    assert [m["response"] for m in dispatcher.messages] == ["utter_did_you_mean"]
    return list(dispatcher.messages[0]["buttons"])


async def test_did_you_mean_names_the_likely_topics_in_plain_words(domain: Domain) -> None:
    ranking = [
        ("nlu_fallback", 0.3),
        ("missing_courses", 0.25),
        ("greet", 0.2),
        ("duplicate_account", 0.2),
    ]
    titles = [b["title"] for b in await suggestions(domain, tracker(ranking))]
    assert titles == ["My courses are missing", "I may have two accounts", "Something else"]


async def test_unclear_answer_to_a_yes_no_question_offers_yes_and_no_first(domain: Domain) -> None:
    question = {
        "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    }
    ranking = [("nlu_fallback", 0.3), ("account_not_found", 0.25), ("deny", 0.2)]
    payloads = [b["payload"] for b in await suggestions(domain, tracker(ranking, question))]
    assert payloads == ["/affirm", "/deny", "/account_not_found", "/out_of_scope"]
