"""Handing over to a person: a support ticket with the masked chat transcript.

A conversation has one ticket: asking again adds the request to it, and the learner is told
it is the same number. Support replies only to a proven address; otherwise the learner is
told to reach them through the Contact Us form with their account's address.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import client_id, turn_key
from actions.account_client import AccountServiceUnavailable, get_client
from common.addresses import mask_addresses_in_text
from common.codes import TYPED_CODE

# A possible takeover goes to the front of the queue.
URGENT_TOPICS = frozenset({"email_change"})

# The reply by (ticket result, whether support has a proven address to reply to).
TICKET_REPLIES = {
    ("opened", True): "utter_ticket_opened",
    ("opened", False): "utter_ticket_opened_no_contact",
    ("added", True): "utter_ticket_added",
    ("added", False): "utter_ticket_added_no_contact",
}


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
            result = await get_client().create_ticket(
                conversation_id=str(tracker.sender_id),
                topic=topic,
                priority="high" if topic in URGENT_TOPICS else "normal",
                transcript=transcript(tracker),
                email=contact,
                client=client_id(tracker),
                idempotency_key=turn_key(tracker, self.name()),
            )
        except AccountServiceUnavailable:
            dispatcher.utter_message(response="utter_ticket_failed")
            return []
        if result.status == "ticket_limit" or result.ticket_id is None:
            dispatcher.utter_message(response="utter_ticket_limit")
            return []
        reply = TICKET_REPLIES[(result.status, bool(contact))]
        dispatcher.utter_message(response=reply, ticket_id=result.ticket_id, contact=contact)
        return [SlotSet("ticket_id", result.ticket_id)]
