"""Section "We couldn't find an account…", cause 2: likely typos of the learner's address.

The variants come from a fixed list of domain misspellings, never from account data; a
domain the list doesn't have is said to be missing from it.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import known_email
from actions.typos import signup_variants, split_address


class ActionSuggestSignupTypos(Action):
    def name(self) -> str:
        return "action_suggest_signup_typos"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        address = known_email(tracker)
        variants = signup_variants(address) if address else []
        if address and variants:
            dispatcher.utter_message(
                response="utter_not_found_typo_variants",
                email=address,
                variants=", ".join(variants),
            )
        elif address:
            dispatcher.utter_message(
                response="utter_not_found_typo_unlisted",
                email=address,
                domain=split_address(address)[1],
            )
        else:
            dispatcher.utter_message(response="utter_not_found_typo")
        return []
