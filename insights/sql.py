"""The SQL the measures run, written once for SQLite and PostgreSQL.

Rasa's `events` table keeps the JSON of each event in a text column; the two databases read
it with different functions, and turn a Unix timestamp into a day differently. Everything
else is standard SQL (window functions exist in SQLite since 3.25).
"""

from __future__ import annotations

import sqlalchemy as sa

# Indexes the queries use; created once by `ensure_indexes` (idempotent, both dialects).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_events_insights_time ON events (timestamp)",
    "CREATE INDEX IF NOT EXISTS ix_events_insights_sender_id ON events (sender_id, id)",
)


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
    """The period and per-conversation indexes; harmless when Rasa's table has them."""
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


def per_day(d: Dialect) -> str:
    """Conversations and learners' messages per day. When a learner picks one of the
    "did you mean" suggestions, the two-stage fallback ends its loop, rewinds and stores the
    message again: that second copy is not counted (a rewind right after the loop ended)."""
    return f"""
        SELECT {d.day()} AS day,
               COUNT(DISTINCT CASE WHEN e.type_name = 'user' THEN e.sender_id END)
                 AS conversations,
               SUM(CASE WHEN e.type_name = 'user' THEN 1 ELSE 0 END)
                 - SUM(CASE WHEN e.type_name = 'rewind' AND EXISTS (
                            SELECT 1 FROM events p
                            WHERE p.id = e.id - 1 AND p.sender_id = e.sender_id
                              AND p.type_name = 'active_loop')
                       THEN 1 ELSE 0 END) AS messages
        FROM events e
        WHERE e.{PERIOD} AND e.type_name IN ('user', 'rewind')
        GROUP BY 1 ORDER BY 1
    """


def dialogue_fallbacks(d: Dialect, action: str) -> str:
    """Turns where the dialogue policies could not tell what to do next."""
    return f"""
        SELECT COUNT(*) FROM events
        WHERE {PERIOD} AND type_name = 'action' AND action_name = '{action}'
    """


def conversations(d: Dialect, handoff_intent: str, ticket_action: str) -> str:
    """One row per conversation with a learner message: whether it asked for a person and
    whether a ticket was opened, counted up."""
    return f"""
        SELECT COUNT(*) AS conversations,
               SUM(asked) AS asked_for_person,
               SUM(ticket) AS ticket_action,
               SUM(CASE WHEN asked = 0 AND ticket = 0 THEN 1 ELSE 0 END) AS contained
        FROM (
            SELECT sender_id,
                   MAX(CASE WHEN intent_name = '{handoff_intent}' THEN 1 ELSE 0 END) AS asked,
                   MAX(CASE WHEN action_name = '{ticket_action}' THEN 1 ELSE 0 END) AS ticket,
                   MAX(CASE WHEN type_name = 'user' THEN 1 ELSE 0 END) AS spoke
            FROM events
            WHERE {PERIOD} AND type_name IN ('user', 'action')
            GROUP BY sender_id
        ) AS per_conversation
        WHERE spoke = 1
    """


def walk(d: Dialect, questions: tuple[str, ...], ticket_action: str) -> str:
    """Every "did that work?" question and every ticket action, with the step before it, the
    section it belongs to and what the learner did next.

    The sequence keeps learner messages, the actions the assistant ran (not action_listen)
    and the `topic` slot. The section at any row is the latest `topic` value before it: a
    running count of topic rows makes groups, and each group takes its one value.
    """
    topic_value = d.json_text(("value",))
    return f"""
        WITH grouped AS (
            SELECT id, sender_id, type_name, action_name, intent_name,
                   CASE WHEN type_name = 'slot' THEN {topic_value} END AS topic_value,
                   SUM(CASE WHEN type_name = 'slot' THEN 1 ELSE 0 END)
                     OVER (PARTITION BY sender_id ORDER BY id ROWS UNBOUNDED PRECEDING)
                     AS topic_group
            FROM events
            WHERE {PERIOD}
              AND (type_name = 'user'
                   OR (type_name = 'action' AND action_name <> 'action_listen')
                   OR (type_name = 'slot' AND action_name = 'topic'))
        ),
        seq AS (
            SELECT id, sender_id, type_name, action_name, intent_name,
                   MAX(topic_value) OVER (PARTITION BY sender_id, topic_group) AS topic
            FROM grouped
        ),
        marked AS (
            SELECT id, sender_id, type_name, action_name, intent_name, topic,
                   LAG(type_name, 1) OVER w AS type1, LAG(action_name, 1) OVER w AS action1,
                   LAG(intent_name, 1) OVER w AS intent1,
                   LAG(type_name, 2) OVER w AS type2, LAG(action_name, 2) OVER w AS action2,
                   LAG(type_name, 3) OVER w AS type3, LAG(action_name, 3) OVER w AS action3,
                   LEAD(type_name, 1) OVER w AS next_type,
                   LEAD(intent_name, 1) OVER w AS next_intent
            FROM seq
            WHERE type_name <> 'slot'
            WINDOW w AS (PARTITION BY sender_id ORDER BY id)
        )
        SELECT action_name AS asked,
               topic,
               CASE WHEN type1 = 'action' THEN action1
                    WHEN type2 = 'action' THEN action2
                    WHEN type3 = 'action' THEN action3 END AS step,
               intent1 AS before_intent,
               CASE WHEN type1 = 'user' AND type2 = 'action' THEN action2
                    WHEN type1 = 'user' AND type3 = 'action' THEN action3 END AS before_action,
               CASE WHEN next_type = 'user' THEN next_intent END AS answer,
               COUNT(*) AS times,
               COUNT(DISTINCT sender_id) AS conversations
        FROM marked
        WHERE type_name = 'action'
          AND action_name IN {in_list((*questions, ticket_action))}
        GROUP BY 1, 2, 3, 4, 5, 6
    """


def topic_starts(d: Dialect) -> str:
    """Conversations that entered each section (the `topic` slot was set to it)."""
    return f"""
        SELECT {d.json_text(("value",))} AS topic, COUNT(DISTINCT sender_id) AS conversations
        FROM events
        WHERE {PERIOD} AND type_name = 'slot' AND action_name = 'topic'
        GROUP BY 1
    """


def code_funnel(d: Dialect, offers: tuple[str, ...]) -> str:
    """Per conversation, how far the one-time code got, counted up.

    The code's outcome is the `code_status` slot the code actions set; an ended code says
    why in the reply just before that slot (expired, blocked, none).
    """
    status = d.json_text(("value",))
    utter = d.json_text(("metadata", "utter_action"), "b.data")
    ended_reply = f"""(SELECT {utter} FROM events b
                       WHERE b.sender_id = e.sender_id AND b.id < e.id AND b.type_name = 'bot'
                       ORDER BY b.id DESC LIMIT 1)"""
    return f"""
        WITH marks AS (
            SELECT e.sender_id,
                   CASE WHEN e.type_name = 'action' AND e.action_name IN {in_list(offers)}
                        THEN 'offered'
                        WHEN e.type_name = 'action' AND e.action_name = 'action_send_code'
                        THEN 'accepted'
                        WHEN e.type_name = 'slot' THEN {status} END AS mark,
                   CASE WHEN e.type_name = 'slot' AND {status} = 'ended'
                        THEN {ended_reply} END AS ended_reply
            FROM events e
            WHERE e.{PERIOD}
              AND ((e.type_name = 'action'
                    AND e.action_name IN {in_list((*offers, "action_send_code"))})
                   OR (e.type_name = 'slot' AND e.action_name = 'code_status'))
        )
        SELECT mark, ended_reply, COUNT(*) AS times, COUNT(DISTINCT sender_id) AS conversations
        FROM marks GROUP BY 1, 2
    """


def understanding(d: Dialect, fallback_intent: str) -> str:
    """Learners' messages that NLU read as unclear or read with low confidence."""
    confidence = d.json_number(("parse_data", "intent", "confidence"))
    return f"""
        SELECT COUNT(*) AS messages,
               SUM(CASE WHEN intent_name = '{fallback_intent}' THEN 1 ELSE 0 END) AS fallback,
               SUM(CASE WHEN intent_name <> '{fallback_intent}' AND {confidence} < :low
                        THEN 1 ELSE 0 END) AS low_confidence
        FROM events
        WHERE {PERIOD} AND type_name = 'user'
    """


def misunderstood(d: Dialect, fallback_intent: str) -> str:
    """The unclear messages themselves (their JSON is read and masked in Python)."""
    return f"""
        SELECT id, sender_id, timestamp, data FROM events
        WHERE {PERIOD} AND type_name = 'user' AND intent_name = '{fallback_intent}'
        ORDER BY id
    """


def failed_actions(d: Dialect, custom_actions: tuple[str, ...]) -> str:
    """Custom actions that recorded nothing of their own: the action server failed, and the
    channel answered that turn with its apology. A turn's events are stored together, so an
    action's own events follow it directly."""
    return f"""
        SELECT COUNT(*) FROM events e
        WHERE e.{PERIOD} AND e.type_name = 'action' AND e.action_name IN {in_list(custom_actions)}
          AND NOT EXISTS (
              SELECT 1 FROM events n
              WHERE n.id = e.id + 1 AND n.sender_id = e.sender_id
                AND n.type_name IN ('bot', 'slot'))
    """


def outages(d: Dialect, outage_response: str) -> str:
    """Replies that said the account service could not be reached."""
    return f"""
        SELECT COUNT(*), COUNT(DISTINCT sender_id) FROM events
        WHERE {PERIOD} AND type_name = 'bot'
          AND data LIKE '%"utter_action": "{outage_response}"%'
    """


def reply_latency(d: Dialect) -> str:
    """Seconds from each learner message to the last reply recorded for it (turns with a
    reply), from the events' own timestamps."""
    return f"""
        WITH turns AS (
            SELECT sender_id, type_name, timestamp,
                   SUM(CASE WHEN type_name = 'user' THEN 1 ELSE 0 END)
                     OVER (PARTITION BY sender_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS turn
            FROM events
            WHERE {PERIOD} AND type_name IN ('user', 'bot')
        )
        SELECT MAX(timestamp) - MIN(timestamp) AS seconds
        FROM turns
        WHERE turn > 0
        GROUP BY sender_id, turn
        HAVING SUM(CASE WHEN type_name = 'bot' THEN 1 ELSE 0 END) > 0
    """
