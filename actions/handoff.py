"""Handing over to a person: a support ticket with the masked chat transcript."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_client import AccountServiceUnavailable, get_client
from common.addresses import mask_addresses_in_text
from common.codes import TYPED_CODE

# A possible takeover goes to the front of the queue.
URGENT_TOPICS = frozenset({"email_change"})


def masked(text: str) -> str:
    """Hides addresses (first letter and domain kept) and one-time codes."""
    return TYPED_CODE.sub("[code]", mask_addresses_in_text(text))


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """The conversation so far, as support staff will read it, with addresses masked."""
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            lines.append({"sender": event["event"], "text": masked(str(event["text"]))})
    return lines


class ActionOpenTicket(Action):
    """Opens a support ticket; the team replies only to an address the learner proved."""

    def name(self) -> str:
        return "action_open_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = tracker.get_slot("topic") or "general"
        contact = tracker.get_slot("verified_email")
        try:
            ticket_id = await get_client().create_ticket(
                conversation_id=str(tracker.sender_id),
                topic=topic,
                priority="high" if topic in URGENT_TOPICS else "normal",
                transcript=transcript(tracker),
                email=contact,
            )
        except AccountServiceUnavailable:
            dispatcher.utter_message(response="utter_ticket_failed")
            return []
        if contact:
            dispatcher.utter_message(
                response="utter_ticket_opened", ticket_id=ticket_id, contact=contact
            )
        else:
            dispatcher.utter_message(response="utter_ticket_opened_no_contact", ticket_id=ticket_id)
        return [SlotSet("ticket_id", ticket_id)]
