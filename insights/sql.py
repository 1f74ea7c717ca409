"""The SQL the measures run, written once for SQLite and PostgreSQL.

Rasa's `events` table keeps the JSON of each event in a text column; the two databases read
it with different functions, and turn a Unix timestamp into a day differently. Everything
else is standard SQL (window functions exist in SQLite since 3.25).
"""

from __future__ import annotations

import sqlalchemy as sa

from common.events_table import SENDER_ROWS_INDEX

# Indexes the queries use; created once by `ensure_indexes` (idempotent, both dialects).
INDEXES = (SENDER_ROWS_INDEX,)


class Dialect:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, name: str) -> None:
        if name not in ("sqlite", "postgresql"):
            raise ValueError(f"insights support SQLite and PostgreSQL, not {name}")
        self.name = name

    def json_text(self, path: tuple[str, ...], column: str = "data") -> str:
        """The text at `path` of the JSON in `column`."""
        if self.name == "sqlite":
            return f"json_extract({column}, '$.{'.'.join(path)}')"
        *parents, last = path
        walk = "".join(f"->'{part}'" for part in parents)
        return f"(CAST({column} AS json){walk}->>'{last}')"

    def json_number(self, path: tuple[str, ...], column: str = "data") -> str:
        text = self.json_text(path, column)
        return text if self.name == "sqlite" else f"CAST({text} AS double precision)"

    def day(self, column: str = "timestamp") -> str:
        if self.name == "sqlite":
            return f"date({column}, 'unixepoch')"
        return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def ensure_indexes(engine: sa.engine.Engine) -> None:
    """The per-conversation index the summary's refresh and `make forget` use."""
    with engine.begin() as connection:
        for statement in INDEXES:
            connection.execute(sa.text(statement))


def in_list(values: tuple[str, ...] | list[str]) -> str:
    """A SQL list of string literals from names in our own data (never learner text)."""
    for value in values:
        if not value.replace("_", "").isalnum():
            raise ValueError(f"not a plain name: {value!r}")
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


PERIOD = "timestamp >= :start AND timestamp < :end"
MARKS = "insights_marks"


def per_day(d: Dialect) -> str:
    """Conversations and learners' messages per day."""
    return f"""
        SELECT {d.day()} AS day,
               COUNT(DISTINCT sender_id) AS conversations,
               COUNT(*) AS messages
        FROM {MARKS}
        WHERE {PERIOD} AND kind = 'message'
        GROUP BY 1 ORDER BY 1
    """


def conversations(handoff_intent: str) -> str:
    """Conversations with a learner message, those that asked for a person, those with a
    ticket action, and those with neither (contained)."""
    return f"""
        SELECT COUNT(*) AS conversations,
               SUM(asked) AS asked_for_person,
               SUM(ticket) AS ticket_action,
               SUM(CASE WHEN asked = 0 AND ticket = 0 THEN 1 ELSE 0 END) AS contained
        FROM (
            SELECT sender_id,
                   MAX(CASE WHEN kind = 'message' AND answer = '{handoff_intent}'
                            THEN 1 ELSE 0 END) AS asked,
                   MAX(CASE WHEN kind = 'ticket' THEN 1 ELSE 0 END) AS ticket,
                   MAX(CASE WHEN kind = 'message' THEN 1 ELSE 0 END) AS spoke
            FROM {MARKS}
            WHERE {PERIOD} AND kind IN ('message', 'ticket')
            GROUP BY sender_id
        ) AS per_conversation
        WHERE spoke = 1
    """


WALK = f"""
    SELECT kind, topic, step, answer, detail, COUNT(*) AS times,
           COUNT(DISTINCT sender_id) AS conversations
    FROM {MARKS}
    WHERE {PERIOD} AND kind IN ('question', 'ticket')
    GROUP BY 1, 2, 3, 4, 5
"""

TOPIC_STARTS = f"""
    SELECT topic, COUNT(DISTINCT sender_id) FROM {MARKS}
    WHERE {PERIOD} AND kind = 'topic' GROUP BY 1
"""

REACHED = f"""
    SELECT topic, step, COUNT(DISTINCT sender_id) FROM {MARKS}
    WHERE {PERIOD} AND kind = 'question' GROUP BY 1, 2
"""


def codes(limited: tuple[str, ...]) -> str:
    """Conversations and times per stage of the code; an ended code is "expired" when its
    reply said so."""
    return f"""
        SELECT CASE WHEN detail IN {in_list(limited)} THEN 'limited'
                    WHEN detail = 'ended' AND answer = 'utter_code_expired' THEN 'expired'
                    ELSE detail END AS stage,
               COUNT(DISTINCT sender_id), COUNT(*)
        FROM {MARKS}
        WHERE {PERIOD} AND kind = 'code' AND detail IS NOT NULL
        GROUP BY 1
    """


def understanding(fallback_intent: str) -> str:
    return f"""
        SELECT SUM(CASE WHEN answer = '{fallback_intent}' THEN 1 ELSE 0 END),
               SUM(CASE WHEN answer <> '{fallback_intent}' AND value < :low THEN 1 ELSE 0 END)
        FROM {MARKS}
        WHERE {PERIOD} AND kind = 'message'
    """


def misunderstood(fallback_intent: str) -> str:
    """The unclear messages themselves (their JSON is read and masked in Python)."""
    return f"""
        SELECT e.id, e.sender_id, e.timestamp, e.data
        FROM {MARKS} m JOIN events e ON e.id = m.event_id
        WHERE m.{PERIOD.replace(" timestamp", " m.timestamp")} AND m.kind = 'message'
          AND m.answer = '{fallback_intent}'
        ORDER BY e.id
    """


HEALTH = f"""
    SELECT kind, COUNT(*), COUNT(DISTINCT sender_id) FROM {MARKS}
    WHERE {PERIOD} AND kind IN ('failed', 'dialogue_fallback', 'outage')
    GROUP BY 1
"""

LATENCY = f"SELECT value FROM {MARKS} WHERE {PERIOD} AND kind = 'latency'"
