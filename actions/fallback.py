"""Low NLU confidence: offer the likely topics in plain words instead of guessing."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import flow
from actions.replies import render, replies, say

MAX_SUGGESTIONS = 3
YES_NO_QUESTIONS = {
    flow.PENDING_STEP,
    flow.PENDING_SOLVED,
    flow.PENDING_HANDOFF,
    flow.PENDING_OFFER_CODE,
    flow.PENDING_CONFIRM_CHANGE,
}


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: "Did you mean …?" with the best guesses."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        titles: dict[str, str] = replies()["intent_titles"]
        ranking = tracker.latest_message.get("intent_ranking") or []
        guesses = [item["name"] for item in ranking if item.get("name") in titles]
        buttons = []
        if tracker.get_slot("pending") in YES_NO_QUESTIONS:
            # An unclear answer to a yes/no question is most likely a yes or a no.
            buttons = list(replies()["yes_no_buttons"])
            guesses = guesses[:1]
        buttons += [
            {"title": titles[name], "payload": f"/{name}"} for name in guesses[:MAX_SUGGESTIONS]
        ]
        something_else, _ = render("something_else")
        # Rasa's two-stage fallback reads out_of_scope as "none of these": it asks to rephrase.
        buttons.append({"title": something_else, "payload": "/out_of_scope"})
        text, _ = render("did_you_mean")
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionDefaultAskRephrase(Action):
    """Second stage: the learner said none of the guesses fit, so ask them to rephrase."""

    def name(self) -> str:
        return "action_default_ask_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, "rephrase")
        return []


class ActionDefaultFallback(Action):
    """Last stage: still unclear, so offer the topic menu or a person (never a guess)."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, "unclear_offer")
        return [UserUtteranceReverted()]
