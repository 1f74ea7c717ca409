"""Low NLU confidence: offer the likely topics in plain words instead of guessing.

Rasa's two-stage fallback calls this first; its later stages are the domain's
`utter_ask_rephrase` and `utter_default`.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

MAX_SUGGESTIONS = 3
TITLE_PREFIX = "utter_title_"
YES_NO = ("affirm", "deny")


def response_text(domain: dict[str, Any], name: str) -> str:
    return str(domain["responses"][name][0]["text"])


def asked_yes_or_no(tracker: Tracker) -> bool:
    """Whether the assistant's last message offered a "yes" button."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            return any(button.get("payload") == "/affirm" for button in buttons)
    return False


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: "Did you mean …?" with the best guesses."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        guesses = [
            item["name"]
            for item in ranking
            if f"{TITLE_PREFIX}{item.get('name')}" in domain["responses"]
            and item["name"] not in YES_NO
        ][:MAX_SUGGESTIONS]
        if asked_yes_or_no(tracker):
            # An unclear answer to a yes/no question is most likely a yes or a no.
            guesses = [*YES_NO, *guesses[:1]]
        buttons = [
            {"title": response_text(domain, f"{TITLE_PREFIX}{name}"), "payload": f"/{name}"}
            for name in guesses
        ]
        # Rasa's two-stage fallback reads out_of_scope as "none of these": it asks to rephrase.
        something_else = response_text(domain, "utter_something_else")
        buttons.append({"title": something_else, "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
