"""Section "I can't log in", step 2: the password reset email, sent when the learner says yes."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_client import get_client
from actions.mail import send_mail


class ActionSendPasswordReset(Action):
    def name(self) -> str:
        return "action_send_password_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send = get_client().send_password_reset
        return await send_mail(
            dispatcher, tracker, send, "utter_reset_sent", "utter_reset_sent_proven"
        )
