"""Section "I can't verify my email": the verification email sent again to the typed address."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_client import get_client
from actions.mail import send_mail


class ActionSendVerificationEmail(Action):
    def name(self) -> str:
        return "action_send_verification_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send = get_client().send_verification_email
        return await send_mail(
            dispatcher,
            tracker,
            send,
            "utter_verification_resent",
            "utter_verification_resent_proven",
        )
