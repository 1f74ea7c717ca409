"""Turn ids: a message the client sends again is answered again, not handled again.

A client (the widget, a REST caller) may give each message a turn id and keep it when it
re-sends the message because the reply was lost: a replica died mid-turn, a connection
dropped, nginx passed the request on to another replica. The channels hand the id to
Rasa as the message's `message_id`, which Rasa stores on the user event in the tracker
store, visible to every replica. Before Rasa handles a message (inside the conversation's
lock, so a second copy waits for the first) the processor looks for that id in the
conversation; when it is there, the replies that followed it are sent again and nothing
else happens: no second user event, no prediction, no action call.

The check's load of the conversation also serves the processor's load right after it
(`reusing_check` in rasa_addons/tracker_store.py), so a turn id costs no second query.

Ids are only compared within one conversation; one that does not look like an id (see
TURN_ID) is ignored and the message is handled as one without an id.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from common.addresses import mask_addresses_in_text
from rasa_addons.history import EventsRead
from rasa_addons.tracker_store import reusing_check

# The metadata key under which a channel passes the client's turn id to the guard.
TURN_METADATA_KEY = "turn_id"
TURN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

_TURN_POSITIONS = "_kept_turn_positions"

HandleMessage = Callable[[MessageProcessor, UserMessage], Awaitable[Any]]
Emit = Callable[[str, Any], Awaitable[None]]


def turn_id(raw: Any) -> str | None:
    """The client's turn id, if it sent a usable one."""
    return raw if isinstance(raw, str) and TURN_ID.match(raw) else None


@dataclass
class _TurnPositions(EventsRead):
    """Where in the tracker's events each turn id first appears on a user message. Kept
    on the tracker and extended by new events, so a lookup does not read the whole
    conversation (it did, on every message: 6 ms at turn 2,000)."""

    positions: dict[str, int] = field(default_factory=dict)

    def extend(self, events: Sequence[Event]) -> None:
        for index, event in enumerate(self.unread(events), start=self.seen):
            if isinstance(event, UserUttered) and event.message_id:
                self.positions.setdefault(event.message_id, index)
        self.read_all(events)


def _turn_positions(tracker: DialogueStateTracker) -> _TurnPositions:
    kept: _TurnPositions | None = tracker.__dict__.get(_TURN_POSITIONS)
    if kept is None or not kept.continues(tracker.events):
        kept = tracker.__dict__[_TURN_POSITIONS] = _TurnPositions()
    kept.extend(tracker.events)
    return kept


def replies_given(tracker: DialogueStateTracker, message_id: str) -> list[dict[str, Any]] | None:
    """The replies that followed the user message with this id, with every address masked
    (a turn id kept in a browser must not bring back more than the browser kept); None if
    the conversation has no such message."""
    position = _turn_positions(tracker).positions.get(message_id)
    if position is None:
        return None
    after = itertools.islice(tracker.events, position + 1, None)
    return [
        _masked(event.message())
        for event in itertools.takewhile(lambda event: not isinstance(event, UserUttered), after)
        if isinstance(event, BotUttered)
    ]


def _masked(reply: dict[str, Any]) -> dict[str, Any]:
    text = reply.get("text")
    return {**reply, "text": mask_addresses_in_text(text)} if isinstance(text, str) else reply


def answered_once(handle_message: HandleMessage) -> HandleMessage:
    """Wraps `MessageProcessor.handle_message` (run inside the conversation's lock)."""

    @functools.wraps(handle_message)
    async def handle_message_once(self: MessageProcessor, message: UserMessage) -> Any:
        if not getattr(message, "client_turn", False):
            return await handle_message(self, message)
        tracker = await self.tracker_store.retrieve(message.sender_id)
        replies = replies_given(tracker, message.message_id) if tracker else None
        if replies is None:
            # The processor loads the conversation next: the tracker just checked serves.
            with reusing_check(tracker):
                return await handle_message(self, message)
        output = message.output_channel
        for reply in replies:
            await output.send_response(message.sender_id, reply)
        if isinstance(output, CollectingOutputChannel):
            return output.messages
        return None

    return handle_message_once


def adopt_turn_id(message: UserMessage) -> str | None:
    """Moves the client's turn id from the metadata the channel filled to the message id."""
    metadata = message.metadata if isinstance(message.metadata, dict) else {}
    turn = turn_id(metadata.pop(TURN_METADATA_KEY, None))
    if turn is not None:
        message.message_id = turn
        message.client_turn = True  # type: ignore[attr-defined]
    return turn


def numbered(emit: Emit, turn: str) -> Emit:
    """Marks each reply of a turn with the turn id and its position, the same on a replay,
    so a client that re-sent a turn can drop replies it has already shown."""
    positions = itertools.count()

    async def emit_numbered(recipient: str, reply: Any) -> None:
        if isinstance(reply, dict):
            reply = {**reply, "message_id": turn, "reply_index": next(positions)}
        await emit(recipient, reply)

    return emit_numbered
