"""Rasa's SQL tracker store without rebuilding every conversation on every message.

Rasa's `SQLTrackerStore` loads all events of a conversation from the database and
replays them into a new tracker for each message, then counts them again to find
which ones to insert: profiling a turn showed that as about 40 % of the Rasa server's
CPU. This store keeps the trackers it has loaded or saved in memory (least recently
used first out) and writes every new event through to the database exactly as Rasa
does, in Rasa's own table, so conversations survive restarts and other tools (the
HTTP API, `make forget`, a second replica) see the same rows.

A kept tracker is only reused when the database still holds the rows it was built from
(same first and same last id of the conversation, read from the (sender_id, id) index in
constant time; a count grew with the conversation): a conversation deleted by `make
forget`, or continued by another Rasa replica, is loaded again from the database. A tracker that
was changed in memory but never saved (a turn that failed half way) is loaded again
too. After a new conversation session is saved, the next turn gets a tracker of that
session only, as Rasa's store would load it.

Inside the conversation's lock, the turn-id check (rasa_addons/turns.py) loads the tracker
just before the processor does; `reusing_check` lets the processor's load take that
tracker without asking the database again, once, while it is unchanged: nothing else can
have written the conversation in between, so the second query could only repeat the first.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from common.events_table import SENDER_ROWS_INDEX

logger = logging.getLogger(__name__)

DEFAULT_KEPT_CONVERSATIONS = 2000
# A restarting database (PostgreSQL failing over or being upgraded) drops every pooled
# connection and refuses new ones for a moment; a query is tried again after these waits,
# so the turn is stored late rather than not at all. Rasa would otherwise fall back to a
# tracker in memory and answer as if nothing happened, without storing the turn.
DATABASE_RETRY_WAITS = (0.1, 0.2, 0.4, 0.8, 1.6)
Result = TypeVar("Result")
ROWS_OF_SENDER = sa.text(
    "SELECT (SELECT MIN(id) FROM events WHERE sender_id = :sender_id),"
    " (SELECT MAX(id) FROM events WHERE sender_id = :sender_id)"
)
# The first and last row id of a conversation; (None, None) when it has no rows.
RowSpan = tuple[int | None, int | None]
# The tracker this task has just checked against the database, for the next load only.
_CHECKED: ContextVar[DialogueStateTracker | None] = ContextVar("checked_tracker", default=None)


@contextmanager
def reusing_check(tracker: DialogueStateTracker | None) -> Iterator[None]:
    """Within the block (run inside the conversation's lock), the next `retrieve` of this
    tracker's conversation returns it, if it is still kept unchanged, without a query."""
    token = _CHECKED.set(tracker)
    try:
        yield
    finally:
        _CHECKED.reset(token)


@dataclass
class KeptTracker:
    """A tracker in memory and the database rows it matches."""

    tracker: DialogueStateTracker
    events_in_database: int  # how many of `tracker.events` are stored
    rows: RowSpan  # of this sender in the table, all sessions
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
        self._index_rows_by_sender()

    def _index_rows_by_sender(self) -> None:
        """The index the freshness check reads (SQLite's index on the sender includes the
        row id already; PostgreSQL's does not). Only speed depends on it."""
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.text(SENDER_ROWS_INDEX))
        except sa.exc.SQLAlchemyError as problem:
            logger.warning("Could not create the index of events by sender: %s", problem)

    def _rows_of(self, connection: Any, sender_id: str) -> RowSpan:
        first_id, last_id = connection.execute(ROWS_OF_SENDER, {"sender_id": sender_id}).one()
        return first_id, last_id

    def _keep(self, sender_id: str, kept: KeptTracker) -> None:
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)

    def _just_checked(self, sender_id: str) -> DialogueStateTracker | None:
        checked = _CHECKED.get()
        if checked is None or checked.sender_id != sender_id:
            return None
        _CHECKED.set(None)  # once: a later load in the same turn checks again
        kept = self._kept.get(sender_id)
        if kept is None or kept.tracker is not checked:
            return None
        return checked if len(checked.events) == kept.events_in_database else None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session of a conversation; the kept tracker if still current."""
        checked = self._just_checked(sender_id)
        if checked is not None:
            self._kept.move_to_end(sender_id)
            return checked
        rows = await self._persistently(lambda: self._row_span(sender_id))
        kept = self._kept.pop(sender_id, None)
        if (
            kept is not None
            and kept.rows == rows
            and len(kept.tracker.events) == kept.events_in_database
        ):
            tracker: DialogueStateTracker | None = (
                latest_session(kept.tracker, self.domain.slots)
                if kept.new_session
                else kept.tracker
            )
        elif rows == (None, None):
            return None
        else:
            tracker = await self._persistently(
                lambda: SQLTrackerStore.retrieve(self, sender_id)  # type: ignore[arg-type]
            )
        if tracker is not None:
            self._keep(sender_id, KeptTracker(tracker, len(tracker.events), rows))
        return tracker

    def _unsaved_events(self, tracker: DialogueStateTracker) -> list[Event]:
        kept = self._kept.get(tracker.sender_id)
        if kept is not None and kept.tracker is tracker:
            return list(tracker.events)[kept.events_in_database :]
        with self.engine.connect() as connection:
            if self._rows_of(connection, tracker.sender_id) == (None, None):
                return list(tracker.events)  # a new conversation: nothing stored yet
        with self.session_scope() as session:
            return list(self._additional_events(session, tracker))

    async def _persistently(self, work: Callable[[], Awaitable[Result]]) -> Result:
        """`work`, tried again while the database is unreachable (see DATABASE_RETRY_WAITS)."""
        for wait in (*DATABASE_RETRY_WAITS, None):
            try:
                return await work()
            except sa.exc.OperationalError as problem:
                if wait is None:
                    raise
                logger.warning(
                    "The tracker store's database failed (%s); trying again in %s s.",
                    str(problem.orig).strip().splitlines()[0] if problem.orig else "?",
                    wait,
                )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _row_span(self, sender_id: str) -> RowSpan:
        with self.engine.connect() as connection:
            return self._rows_of(connection, sender_id)

    async def _insert_new(self, tracker: DialogueStateTracker) -> tuple[list[Event], RowSpan]:
        """Inserts the events not stored yet, in one transaction; the rows stored after it."""
        new_events = self._unsaved_events(tracker)
        with self.engine.begin() as connection:
            if new_events:
                connection.execute(
                    self.SQLEvent.__table__.insert(),
                    [self._row(tracker.sender_id, event) for event in new_events],
                )
            return new_events, self._rows_of(connection, tracker.sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Inserts the events not yet stored, as Rasa's store does, and keeps the tracker."""
        sender_id = tracker.sender_id
        new_events, rows = await self._persistently(lambda: self._insert_new(tracker))
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, sender_id)
        previous = self._kept.get(sender_id)
        new_session = any(isinstance(event, SessionStarted) for event in new_events) or (
            previous is not None and previous.tracker is tracker and previous.new_session
        )
        kept = KeptTracker(tracker, len(tracker.events), rows, new_session=new_session)
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
