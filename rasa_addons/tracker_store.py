"""Rasa's SQL tracker store without rebuilding every conversation on every message.

Rasa's `SQLTrackerStore` loads all events of a conversation from the database and
replays them into a new tracker for each message, then counts them again to find
which ones to insert: profiling a turn showed that as about 40 % of the Rasa server's
CPU. This store keeps the trackers it has loaded or saved in memory (least recently
used first out) and writes every new event through to the database exactly as Rasa
does, in Rasa's own table, so conversations survive restarts and other tools (the
HTTP API, `make forget`, a second replica) see the same rows.

A kept tracker is only reused when the database still holds exactly the rows it was
built from (same count, same last id): a conversation deleted by `make forget`, or
continued by another Rasa replica, is loaded again from the database. A tracker that
was changed in memory but never saved (a turn that failed half way) is loaded again
too. After a new conversation session is saved, the next turn gets a tracker of that
session only, as Rasa's store would load it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

DEFAULT_KEPT_CONVERSATIONS = 2000
ROWS_OF_SENDER = sa.text("SELECT COUNT(*), MAX(id) FROM events WHERE sender_id = :sender_id")


@dataclass
class KeptTracker:
    """A tracker in memory and the database rows it matches."""

    tracker: DialogueStateTracker
    events_in_database: int  # how many of `tracker.events` are stored
    rows: int  # rows of this sender in the table, all sessions
    last_id: int | None
    # A new session was saved: the next turn gets only that session, as from Rasa's store,
    # while saves of this same tracker still know what is stored.
    new_session: bool = False


def latest_session(tracker: DialogueStateTracker, slots: list[Any]) -> DialogueStateTracker:
    """What Rasa's SQL store loads: the events from the latest session start on."""
    starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
    events = list(tracker.events)
    if starts:
        events = [event for event in events if event.timestamp >= max(starts)]
    return DialogueStateTracker.from_events(tracker.sender_id, events, slots)


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that reuses trackers between messages while they are current."""

    def __init__(
        self, *args: Any, kept_conversations: int = DEFAULT_KEPT_CONVERSATIONS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kept_conversations = int(kept_conversations)
        self._kept: OrderedDict[str, KeptTracker] = OrderedDict()
        engine: Any = self.engine  # type: ignore[has-type]
        if engine.dialect.name == "sqlite":
            # SQLAlchemy opens a SQLite file anew for every session (NullPool); keeping
            # connections open saves that per query. Calls come one at a time.
            self.engine = sa.create_engine(
                engine.url,
                poolclass=sa.pool.QueuePool,
                connect_args={"check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _rows_of(self, connection: Any, sender_id: str) -> tuple[int, int | None]:
        rows, last_id = connection.execute(ROWS_OF_SENDER, {"sender_id": sender_id}).one()
        return int(rows), last_id

    def _keep(self, sender_id: str, kept: KeptTracker) -> None:
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session of a conversation; the kept tracker if still current."""
        with self.engine.connect() as connection:
            rows, last_id = self._rows_of(connection, sender_id)
        kept = self._kept.pop(sender_id, None)
        if (
            kept is not None
            and (kept.rows, kept.last_id) == (rows, last_id)
            and len(kept.tracker.events) == kept.events_in_database
        ):
            tracker: DialogueStateTracker | None = (
                latest_session(kept.tracker, self.domain.slots)
                if kept.new_session
                else kept.tracker
            )
        elif rows == 0:
            return None
        else:
            tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._keep(sender_id, KeptTracker(tracker, len(tracker.events), rows, last_id))
        return tracker

    def _unsaved_events(self, tracker: DialogueStateTracker) -> list[Event]:
        kept = self._kept.get(tracker.sender_id)
        if kept is not None and kept.tracker is tracker:
            return list(tracker.events)[kept.events_in_database :]
        with self.engine.connect() as connection:
            if self._rows_of(connection, tracker.sender_id)[0] == 0:
                return list(tracker.events)  # a new conversation: nothing stored yet
        with self.session_scope() as session:
            return list(self._additional_events(session, tracker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Inserts the events not yet stored, as Rasa's store does, and keeps the tracker."""
        sender_id = tracker.sender_id
        new_events = self._unsaved_events(tracker)
        with self.engine.begin() as connection:
            if new_events:
                connection.execute(
                    self.SQLEvent.__table__.insert(),
                    [self._row(sender_id, event) for event in new_events],
                )
            rows, last_id = self._rows_of(connection, sender_id)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, sender_id)
        previous = self._kept.get(sender_id)
        new_session = any(isinstance(event, SessionStarted) for event in new_events) or (
            previous is not None and previous.tracker is tracker and previous.new_session
        )
        kept = KeptTracker(tracker, len(tracker.events), rows, last_id, new_session=new_session)
        self._keep(sender_id, kept)

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """One row of Rasa's `events` table, filled exactly as `SQLTrackerStore.save` does."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
