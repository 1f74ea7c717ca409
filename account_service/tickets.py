"""Hand-off tickets: their ids, and no full address kept in what is stored."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from account_service.storage import Clock, Storage
from common.addresses import mask_addresses_in_text


class Tickets:
    """Opens tickets; reading one back is plain storage."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock

    def open(
        self,
        conversation_id: str,
        topic: str,
        priority: str,
        transcript: Iterable[Mapping[str, str]],
        email: str | None,
    ) -> str:
        """Store a hand-off ticket; transcript addresses are masked here as a last line."""
        cleaned = [
            {"sender": turn["sender"], "text": mask_addresses_in_text(turn["text"])}
            for turn in transcript
        ]
        while True:
            ticket_id = f"CS-{secrets.randbelow(900000) + 100000}"
            if self._storage.add_ticket(
                ticket_id,
                conversation_id,
                mask_addresses_in_text(topic),
                priority,
                cleaned,
                email,
                self._clock(),
            ):
                return ticket_id
