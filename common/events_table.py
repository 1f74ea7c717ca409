"""Rasa's `events` table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), as this project
reads it beyond Rasa's own queries and writes it without Rasa: the benchmark's copied
conversations (bench/seed.py) and the insights' synthetic ones (insights/seed.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

# One conversation's rows in id order: the tracker store's freshness check (first and last
# id of a sender) and the insights' per-conversation queries read it instead of the table.
SENDER_ROWS_INDEX = "CREATE INDEX IF NOT EXISTS ix_events_sender_id_id ON events (sender_id, id)"
# The columns a written row gives, in this order (the id comes from the database).
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
Row = tuple[str, str, float, str | None, str | None, str]


def learner_messages(user_events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The learner's messages among a conversation's stored user events, oldest first.

    Rasa stores a message again when it is put back with what it meant (the two-stage
    fallback's pick, a "no" in other words, a section named again: actions/off_script.py);
    the copy keeps the message id, and is not a new message."""
    seen: set[str] = set()
    messages = []
    for event in user_events:
        message_id = event.get("message_id")
        if message_id is None or message_id not in seen:
            messages.append(event)
        if message_id is not None:
            seen.add(message_id)
    return messages


def events_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, sa.Sequence("events_id_seq"), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )


def write_rows(engine: sa.engine.Engine, rows: Iterable[Row], batch: int = 20000) -> int:
    """Adds the rows to the database's `events` table (created if missing), in batches: by
    COPY on PostgreSQL, by one multi-row insert per batch elsewhere. Returns how many."""
    metadata = sa.MetaData()
    table = events_table(metadata)
    metadata.create_all(engine)
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        # COPY names no id: the column takes the sequence Rasa's own inserts name explicitly.
        with engine.begin() as connection:
            connection.execute(
                sa.text("ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq')")
            )
    written = 0
    pending: list[Row] = []

    def flush() -> None:
        nonlocal written
        if postgres:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(pending)
            buffer.seek(0)
            raw: Any = engine.raw_connection()
            try:
                with raw.cursor() as cursor:
                    cursor.copy_expert(
                        f"COPY events ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer
                    )
                raw.commit()
            finally:
                raw.close()
        else:
            with engine.begin() as connection:
                connection.execute(
                    table.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in pending]
                )
        written += len(pending)
        pending.clear()

    for row in rows:
        pending.append(row)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return written
