"""The support desk's live queue: who is signed in, who waits, who has which conversation.

A learner still waiting after WAIT_LIMIT_SECONDS has left and loses the place (counted as
abandoned). A learner is offered a person in the chat only when someone can come: an agent's console
was seen in the last AGENT_PRESENT_SECONDS, the desk is open (HANDOFF_HOURS, UTC), the
queue is under HANDOFF_QUEUE_LIMIT and the learner's network asked fewer than
HANDOFF_LIMITS times. Otherwise the assistant opens a ticket. A conversation has at most
one place in the queue, and an agent takes a conversation only while it waits, so two
agents cannot both have it; only the agent who has it can end it.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from account_service.limits import HANDOFF, HANDOFF_LIMITS, Caller, Limits, Refusal
from account_service.storage import Clock, Storage

# A console sends a heartbeat every few seconds while it is open.
AGENT_PRESENT_SECONDS = 30.0
# A learner still waiting after this long has left the page: the widget starts a new
# conversation after 30 idle minutes (SESSION_IDLE_MINUTES), so nobody would be there.
WAIT_LIMIT_SECONDS = 30 * 60
# The estimate before any agent has taken a conversation.
DEFAULT_WAIT_MINUTES = 2
RECENT_WAITS = 20


@dataclass(frozen=True)
class DeskHours:
    """Opening hours in UTC as minutes of the day; 00:00-24:00 is always open."""

    opens: int = 0
    closes: int = 24 * 60

    @classmethod
    def parse(cls, text: str) -> DeskHours:
        """`HH:MM-HH:MM`; a closing time before the opening one runs past midnight."""
        try:
            start, end = text.split("-")
            opens, closes = (int(part[:2]) * 60 + int(part[3:]) for part in (start, end))
        except ValueError as problem:
            raise ValueError(f"HANDOFF_HOURS is HH:MM-HH:MM (UTC), not {text!r}") from problem
        if not (0 <= opens < 24 * 60 and 0 <= closes <= 24 * 60):
            raise ValueError(f"HANDOFF_HOURS is HH:MM-HH:MM (UTC), not {text!r}")
        return cls(opens, closes)

    def open_at(self, when: float) -> bool:
        moment = datetime.fromtimestamp(when, timezone.utc)
        minute = moment.hour * 60 + moment.minute
        if self.opens <= self.closes:
            return self.opens <= minute < self.closes
        return minute >= self.opens or minute < self.closes


@dataclass(frozen=True)
class DeskSettings:
    hours: DeskHours = DeskHours()
    queue_limit: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DeskSettings:
        limit = int(environ.get("HANDOFF_QUEUE_LIMIT") or 10)
        if limit < 1:
            raise ValueError(f"HANDOFF_QUEUE_LIMIT must be at least 1, not {limit}")
        return cls(DeskHours.parse(environ.get("HANDOFF_HOURS") or "00:00-24:00"), limit)


@dataclass(frozen=True)
class Place:
    """A conversation's place in the queue, or why there is none."""

    status: str  # "waiting" | "taken" | "closed" | "no_agent" | "queue_full"
    position: int = 0
    wait_minutes: int = 0
    agent: str | None = None


def public(handoff: Mapping[str, Any]) -> dict[str, Any]:
    """A queue entry as the console shows it."""
    keys = ("conversation_id", "topic", "step", "state", "requested_at", "agent", "taken_at")
    return {**{key: handoff[key] for key in keys}, "proven": bool(handoff["proven"])}


class Desk:
    def __init__(
        self, storage: Storage, clock: Clock, limits: Limits, settings: DeskSettings
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._limits = limits
        self.settings = settings

    def agents_present(self) -> int:
        return self._storage.agents_seen_since(self._clock() - AGENT_PRESENT_SECONDS)

    def request(
        self, conversation_id: str, client: str, topic: str, step: str, proven: bool
    ) -> Place | Refusal:
        """A place in the queue for the conversation, its existing one, or why not."""
        self._give_up_stale()
        existing = self._storage.open_handoff(conversation_id)
        if existing is None:
            unavailable = self._unavailable()
            if unavailable is not None:
                return Place(unavailable)
            caller = Caller(conversation_id, client)
            refusal = self._limits.refusal("handoff_limit", (HANDOFF,), HANDOFF_LIMITS, caller)
            if refusal is not None:
                return refusal
            existing = self._storage.add_handoff(
                conversation_id, topic, step, proven, self._clock()
            )
            self._limits.record(HANDOFF, caller)
        return self._place(existing)

    def _unavailable(self) -> str | None:
        if not self.settings.hours.open_at(self._clock()):
            return "closed"
        if self.agents_present() == 0:
            return "no_agent"
        if len(self._storage.handoffs_in(("waiting",))) >= self.settings.queue_limit:
            return "queue_full"
        return None

    def _place(self, handoff: Mapping[str, Any]) -> Place:
        if handoff["state"] == "taken":
            return Place("taken", agent=handoff["agent"])
        position = self._storage.waiting_before(handoff["id"]) + 1
        return Place("waiting", position, self.wait_minutes(position))

    def wait_minutes(self, position: int) -> int:
        """The recent median wait, times the learners ahead per agent present, in minutes."""
        waits = self._storage.recent_waits(RECENT_WAITS)
        typical = statistics.median(waits) / 60 if waits else DEFAULT_WAIT_MINUTES
        agents = max(1, self.agents_present())
        return max(1, math.ceil(typical * math.ceil(position / agents)))

    def leave(self, conversation_id: str) -> bool:
        """True when the conversation was waiting and has left the queue."""
        return self._storage.move_handoff(conversation_id, "waiting", "left", self._clock())

    def take(self, conversation_id: str, agent: str) -> bool:
        """True when the conversation was waiting and is now this agent's."""
        return self._storage.move_handoff(
            conversation_id, "waiting", "taken", self._clock(), agent=agent
        )

    def end(self, conversation_id: str, agent: str, outcome: str) -> bool:
        """True when the agent had the conversation; the outcome goes onto its ticket."""
        now = self._clock()
        if not self._storage.move_handoff(
            conversation_id, "taken", "ended", now, agent=agent, outcome=outcome
        ):
            return False
        note = f"Live chat with {agent} ended: {outcome.replace('_', ' ')}."
        self._storage.add_ticket_note(conversation_id, agent, note, now)
        return True

    def _give_up_stale(self) -> None:
        now = self._clock()
        self._storage.give_up_waiting(now - WAIT_LIMIT_SECONDS, now)

    def queue(self) -> list[dict[str, Any]]:
        self._give_up_stale()
        return [public(handoff) for handoff in self._storage.handoffs_in(("waiting", "taken"))]

    def holder(self, conversation_id: str) -> str | None:
        handoff = self._storage.open_handoff(conversation_id)
        return handoff["agent"] if handoff and handoff["state"] == "taken" else None

    def seen(self, agent: str) -> None:
        self._storage.agent_seen(agent, self._clock())

    def gone(self, agent: str) -> None:
        self._storage.agent_gone(agent)
