"""Hand-off tickets: one per conversation, learner text kept as inert plain text, no full
address in what is stored, and a daily limit per client."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from account_service.limits import TICKET, TICKET_LIMITS, Caller, Limits, Refusal
from account_service.storage import Clock, Storage
from common.addresses import mask_addresses_in_text

# The contact of a ticket whose learner proved no address: support answers through the
# help center's Contact Us form instead.
UNPROVEN_CONTACT = "unproven"


@dataclass(frozen=True)
class TicketOutcome:
    """The conversation's ticket, and whether the request went onto one it already had."""

    ticket_id: str
    added_to_existing: bool


def plain_text(text: str) -> str:
    """Text as support staff will see it, with nothing that can hide or reorder what it says.

    Control and format characters (Unicode Cc and Cf, which include the bidi overrides
    U+202A-U+202E and isolates U+2066-U+2069) are dropped; line breaks become spaces.
    """
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() and category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category not in ("Cc", "Cf"):
            kept.append(char)
    return mask_addresses_in_text("".join(kept))


def _stored_turn(turn: Mapping[str, str]) -> dict[str, str]:
    """The learner's words get their own field, so nobody mistakes them for ours."""
    text = plain_text(turn["text"])
    if turn["sender"] == "user":
        return {"sender": "user", "learner_words": text}
    return {"sender": "bot", "text": text}


class Tickets:
    """Opens tickets or adds to the conversation's one; reading one back is plain storage."""

    def __init__(self, storage: Storage, clock: Clock, limits: Limits) -> None:
        self._storage = storage
        self._clock = clock
        self._limits = limits

    def open(
        self,
        conversation_id: str,
        client: str,
        topic: str,
        priority: str,
        transcript: Iterable[Mapping[str, str]],
        contact: str | None,
    ) -> TicketOutcome | Refusal:
        """Add the request to the conversation's ticket, opening one within the client's limit."""
        ticket_id = self._storage.open_ticket_of(conversation_id)
        added = ticket_id is not None
        topic = plain_text(topic)
        if ticket_id is None:
            caller = Caller(conversation_id, client)
            refusal = self._limits.refusal("ticket_limit", (TICKET,), TICKET_LIMITS, caller)
            if refusal is not None:
                return refusal
            ticket_id = self._new_ticket(conversation_id, topic, priority, contact)
            self._limits.record(TICKET, caller)
        self._storage.add_ticket_request(
            ticket_id,
            topic,
            priority,
            [_stored_turn(turn) for turn in transcript],
            contact,
            self._clock(),
        )
        return TicketOutcome(ticket_id, added)

    def _new_ticket(
        self, conversation_id: str, topic: str, priority: str, contact: str | None
    ) -> str:
        while True:
            ticket_id = f"CS-{secrets.randbelow(900000) + 100000}"
            if self._storage.add_ticket(
                ticket_id,
                conversation_id,
                topic,
                priority,
                contact or UNPROVEN_CONTACT,
                self._clock(),
            ):
                return ticket_id
