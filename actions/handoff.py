"""Handing over to a person: a support ticket with the masked chat transcript."""

from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions.account_client import AccountServiceUnavailable, get_client, mask_email
from actions.flow import Turn, TurnAction

ADDRESS = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+")
CODE = re.compile(r"\b\d{3}\s?\d{3}\b")


def masked(text: str) -> str:
    """Hides addresses (first letter and domain kept) and one-time codes."""
    return CODE.sub("[code]", ADDRESS.sub(lambda match: mask_email(match.group(0)), text))


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """The conversation so far, as support staff will read it, with addresses masked."""
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            lines.append({"sender": event["event"], "text": masked(str(event["text"]))})
    return lines


async def open_ticket(turn: Turn, priority: str = "normal") -> str | None:
    """Creates the ticket; None if the account service can't take it right now."""
    try:
        ticket_id = await get_client().create_ticket(
            conversation_id=turn.conversation_id,
            topic=turn.slot("topic") or "general",
            priority=priority,
            transcript=transcript(turn.tracker),
            email=turn.known_email(),
        )
    except AccountServiceUnavailable:
        return None
    turn.set("ticket_id", ticket_id)
    return ticket_id


async def hand_off(turn: Turn) -> None:
    ticket_id = await open_ticket(turn)
    if ticket_id:
        turn.say("ticket_created", ticket_id=ticket_id)
    else:
        turn.say("ticket_failed")
    turn.set("pending", None)


class ActionHandoff(TurnAction):
    """The learner asked for a person (at any point)."""

    def name(self) -> str:
        return "action_handoff"

    async def handle(self, turn: Turn) -> None:
        await hand_off(turn)
