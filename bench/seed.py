"""Conversations written straight into a stack's SQLite tracker store, built from the rows
of a real conversation the same stack had.

What a turn costs at turn 2,000 depends on what the tracker holds, not on how it got there;
copying real turns (with new timestamps, in Rasa's own row format) gets a long conversation,
a conversation over many sessions or a store of a million events in seconds instead of hours.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from common import events_table

Row = tuple[str, str | None, str | None, dict]  # type_name, intent_name, action_name, data
# Seconds between copied events: the order of events is their timestamp order.
STEP = 0.001


def opens_session(row: Row) -> bool:
    """The rows Rasa writes when a session starts (written again by `conversation`)."""
    kind, _, action, _ = row
    return kind == "session_started" or (kind == "action" and action == "action_session_start")


@dataclass
class Template:
    """One real conversation: the events opening its session, then its turns' events."""

    opening: list[Row]
    turns: list[list[Row]]

    def turn_rows(self, count: int) -> Iterator[list[Row]]:
        """`count` turns, the template's repeated, ending with its last turn: every seeded
        conversation leaves the live turns after it in the same state, whatever its length."""
        offset = -count % len(self.turns)
        return itertools.islice(itertools.cycle(self.turns), offset, offset + count)


def template(db: Path) -> Template:
    """The longest conversation in `db`, split at each user message."""
    with closing(sqlite3.connect(db)) as connection:
        (sender,) = connection.execute(
            "SELECT sender_id FROM events GROUP BY sender_id "
            "ORDER BY SUM(type_name = 'user') DESC, sender_id LIMIT 1"
        ).fetchone()
        rows = connection.execute(
            "SELECT type_name, intent_name, action_name, data FROM events "
            "WHERE sender_id = ? ORDER BY id",
            (sender,),
        ).fetchall()
    parsed = [(kind, intent, action, json.loads(data)) for kind, intent, action, data in rows]
    first_user = next(i for i, row in enumerate(parsed) if row[0] == "user")
    turns: list[list[Row]] = []
    for row in parsed[first_user:]:
        if row[0] == "user":
            turns.append([])
        if not opens_session(row):
            turns[-1].append(row)
    return Template(parsed[:first_user], turns)


def conversation(
    tmpl: Template, sessions: int, turns_per_session: int, start: float, gap_s: float
) -> Iterator[tuple[float, Row]]:
    """(timestamp, row) of a conversation: `sessions` sessions `gap_s` apart, each opened
    as Rasa opens one and holding `turns_per_session` copied turns."""
    for session in range(sessions):
        clock = start + session * gap_s
        copied = [row for turn in tmpl.turn_rows(turns_per_session) for row in turn]
        for row in tmpl.opening + copied:
            clock += STEP
            yield clock, row


def write(db: Path, conversations: Iterator[tuple[str, Iterator[tuple[float, Row]]]]) -> int:
    """Inserts conversations into Rasa's events table (created if missing); the row count."""

    def rows() -> Iterator[events_table.Row]:
        for sender, events in conversations:
            for stamp, (kind, intent, action, data) in events:
                data = {**data, "timestamp": stamp}
                yield sender, kind, stamp, intent, action, json.dumps(data)

    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        return events_table.write_rows(engine, rows())
    finally:
        engine.dispose()
