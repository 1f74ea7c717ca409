"""Handing over to a person: a support agent in the chat, or a ticket with the masked chat
transcript.

An agent joins when the support desk has someone signed in, is open and its queue is not
full (account_service/desk.py); the learner hears the expected wait and can leave the queue,
which opens the ticket. While the agent has the conversation the assistant is paused.

A conversation has one ticket: asking again adds the request to it, and the learner is told
it is the same number. Support replies only to a proven address; otherwise the learner is
told to reach them through the Contact Us form with their account's address.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import client_id, turn_key
from actions.account_client import AccountServiceUnavailable, get_client
from actions.off_script import response_name, session_history
from common.handoff import DESK_KEY, masked

# A possible takeover goes to the front of the queue.
URGENT_TOPICS = frozenset({"email_change"})

# Responses that are no article step, by name after "utter_": offers, questions ("Did that
# work?"), greetings and the handover's own messages.
NOT_STEPS = ("offer", "ask", "did", "greet", "glad", "handoff", "ticket", "anything")
# Marks the messages said for the desk, so a learner on REST can read them later
# (BotUttered metadata; rasa_addons/channels/desk.py).
DESK_MARK = {DESK_KEY: True}

# The reply by (ticket result, whether support has a proven address to reply to).
TICKET_REPLIES = {
    ("opened", True): "utter_ticket_opened",
    ("opened", False): "utter_ticket_opened_no_contact",
    ("added", True): "utter_ticket_added",
    ("added", False): "utter_ticket_added_no_contact",
}


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """The conversation so far, as support staff will read it, with addresses masked."""
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            lines.append({"sender": event["event"], "text": masked(str(event["text"]))})
    return lines


async def open_ticket(
    dispatcher: CollectingDispatcher, tracker: Tracker, idempotency_key: str | None
) -> list[dict[str, Any]]:
    """Opens the conversation's ticket (or adds to it) and tells the learner its number."""
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
            idempotency_key=idempotency_key,
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


def step_reached(tracker: Tracker) -> str:
    """The last of the article's steps the assistant gave, for the agent's queue."""
    for event in reversed(session_history(tracker)):
        name = response_name(event) if event.get("event") == "bot" else None
        if name and not name.removeprefix("utter_").startswith(NOT_STEPS):
            return name
    return "none"


def minutes(count: int) -> str:
    return "1 minute" if count == 1 else f"{count} minutes"


class ActionHandOver(Action):
    """A person for the learner: a support agent in this chat when one can come soon, else
    a ticket (account_service/desk.py decides who can come)."""

    def name(self) -> str:
        return "action_hand_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            place = await get_client().request_handoff(
                conversation_id=str(tracker.sender_id),
                topic=tracker.get_slot("topic") or "general",
                step=step_reached(tracker),
                proven=bool(tracker.get_slot("verified_email")),
                client=client_id(tracker),
            )
        except AccountServiceUnavailable:
            place = None
        if place is None or place.status != "waiting":
            return await open_ticket(dispatcher, tracker, turn_key(tracker, self.name()))
        dispatcher.utter_message(response="utter_handoff_queued", wait=minutes(place.wait_minutes))
        return []


class ActionLeaveQueue(Action):
    """The learner stops waiting for an agent and gets the ticket instead."""

    def name(self) -> str:
        return "action_leave_queue"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            if await get_client().leave_handoff(str(tracker.sender_id)):
                dispatcher.utter_message(response="utter_handoff_left_queue")
        except AccountServiceUnavailable:
            pass
        return await open_ticket(dispatcher, tracker, turn_key(tracker, self.name()))


def external_entity(tracker: Tracker, name: str) -> str:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else ""


class ActionAgentJoined(Action):
    """An agent took the conversation (rasa_addons/channels/desk.py): the learner hears who,
    and the assistant pauses until the agent leaves."""

    def name(self) -> str:
        return "action_agent_joined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        agent = external_entity(tracker, "agent")
        dispatcher.utter_message(response="utter_handoff_joined", agent=agent, **DESK_MARK)
        return [SlotSet("agent_name", agent), ConversationPaused()]


class ActionAgentLeft(Action):
    """The agent ended the chat: the assistant is back and asks whether it is solved."""

    def name(self) -> str:
        return "action_agent_left"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        agent = external_entity(tracker, "agent") or tracker.get_slot("agent_name") or ""
        dispatcher.utter_message(response="utter_handoff_ended", agent=agent, **DESK_MARK)
        return []
