"""A summary table beside Rasa's `events`: one narrow row per thing the measures count.

Window functions over a million JSON rows take seconds; the page must answer in under five.
So the events are read once into `insights_marks` (a learner message, a reply latency, a
"did that work?" with its step, section and answer, a ticket with its reason, a code stage,
a failed action, an outage), and the page's queries group those rows by period.

Kept current by conversation: each refresh recomputes the marks of every conversation that
has events newer than the last refresh (a watermark on the events' ids), so a question
answered later gets its answer. Deletions are seen too: the table also remembers how many
events lay under the watermark; `make forget` removes a conversation's marks and its count
(privacy/forget.py), and any other deletion (or a late commit under the watermark) makes the
counts disagree, which rebuilds the table from the events.
"""

from __future__ import annotations

import sqlalchemy as sa

from insights.article import OFFERS, QUESTIONS, Article
from insights.sql import Dialect, ensure_indexes, in_list

MARKS = "insights_marks"
STATE = "insights_state"
TICKET_ACTION = "action_hand_over"
DIALOGUE_FALLBACK = "action_default_fallback"
OUTAGE_RESPONSE = "utter_service_down"

metadata = sa.MetaData()
marks = sa.Table(
    MARKS,
    metadata,
    sa.Column("event_id", sa.BigInteger, primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Column("topic", sa.String(64)),
    sa.Column("step", sa.String(128)),
    sa.Column("answer", sa.String(128)),
    sa.Column("detail", sa.String(128)),
    sa.Column("value", sa.Float),
    sa.Index("ix_insights_marks_kind_time", "kind", "timestamp"),
)
state = sa.Table(
    STATE,
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Which conversations a refresh recomputes: all, or those with events above the watermark.
ALL = "1 = 1"
NEWER = "{p}sender_id IN (SELECT DISTINCT sender_id FROM events WHERE id > :watermark)"


def mark_queries(d: Dialect, article: Article, scope: str) -> list[str]:
    """INSERT … SELECT statements that write the marks of the conversations in `scope`."""
    columns = (
        f"INSERT INTO {MARKS}"
        " (event_id, kind, sender_id, timestamp, topic, step, answer, detail, value)"
    )
    e_scope = scope.format(p="e.")
    scope = scope.format(p="")
    e_confidence = d.json_number(("parse_data", "intent", "confidence"), "e.data")
    message_id_e = d.json_text(("message_id",), "e.data")
    message_id_p = d.json_text(("message_id",), "p.data")
    value = d.json_text(("value",))
    utter_b = d.json_text(("metadata", "utter_action"), "b.data")
    questions = in_list((*QUESTIONS, TICKET_ACTION))
    return [
        # Every learner message, with what NLU made of it and how sure it was. A message
        # Rasa stored again (put back with what it meant, as after a "did you mean" pick)
        # keeps its message id and counts once (common/events_table.learner_messages).
        f"""{columns}
        SELECT e.id, 'message', e.sender_id, e.timestamp, NULL, NULL, e.intent_name, NULL,
               {e_confidence}
        FROM events e WHERE e.type_name = 'user' AND {e_scope}
          AND NOT EXISTS (SELECT 1 FROM events p WHERE p.sender_id = e.sender_id
                          AND p.id < e.id AND p.type_name = 'user'
                          AND {message_id_p} = {message_id_e})""",
        # Reply latency: a learner message to the last reply recorded for it.
        f"""{columns}
        SELECT MIN(id), 'latency', sender_id, MIN(timestamp), NULL, NULL, NULL, NULL,
               MAX(timestamp) - MIN(timestamp)
        FROM (
            SELECT id, sender_id, type_name, timestamp,
                   SUM(CASE WHEN type_name = 'user' THEN 1 ELSE 0 END)
                     OVER (PARTITION BY sender_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS turn
            FROM events WHERE type_name IN ('user', 'bot') AND {scope}
        ) AS turns
        WHERE turn > 0
        GROUP BY sender_id, turn
        HAVING SUM(CASE WHEN type_name = 'bot' THEN 1 ELSE 0 END) > 0""",
        # The section a conversation entered.
        f"""{columns}
        SELECT id, 'topic', sender_id, timestamp, {value}, NULL, NULL, NULL, NULL
        FROM events WHERE type_name = 'slot' AND action_name = 'topic' AND {scope}""",
        # Every "did that work?" and every ticket action: step before it, section, what next.
        # The section at a row is the latest `topic` value before it (a running count of
        # topic rows makes groups; each group takes its one value).
        f"""{columns}
        SELECT id, CASE WHEN action_name = '{TICKET_ACTION}' THEN 'ticket' ELSE 'question' END,
               sender_id, timestamp, topic,
               CASE WHEN type1 = 'action' THEN action1
                    WHEN type2 = 'action' THEN action2
                    WHEN type3 = 'action' THEN action3 END,
               CASE WHEN action_name = '{TICKET_ACTION}' THEN intent1
                    WHEN next_type = 'user' THEN next_intent END,
               CASE WHEN type1 = 'user' AND type2 = 'action' THEN action2
                    WHEN type1 = 'user' AND type3 = 'action' THEN action3 END,
               NULL
        FROM (
            SELECT id, sender_id, timestamp, type_name, action_name, topic,
                   LAG(type_name, 1) OVER w AS type1, LAG(action_name, 1) OVER w AS action1,
                   LAG(intent_name, 1) OVER w AS intent1,
                   LAG(type_name, 2) OVER w AS type2, LAG(action_name, 2) OVER w AS action2,
                   LAG(type_name, 3) OVER w AS type3, LAG(action_name, 3) OVER w AS action3,
                   LEAD(type_name, 1) OVER w AS next_type,
                   LEAD(intent_name, 1) OVER w AS next_intent
            FROM (
                SELECT id, sender_id, timestamp, type_name, action_name, intent_name,
                       MAX(topic_value) OVER (PARTITION BY sender_id, topic_group) AS topic
                FROM (
                    SELECT id, sender_id, timestamp, type_name, action_name, intent_name,
                           CASE WHEN type_name = 'slot' THEN {value} END AS topic_value,
                           SUM(CASE WHEN type_name = 'slot' THEN 1 ELSE 0 END)
                             OVER (PARTITION BY sender_id ORDER BY id
                                   ROWS UNBOUNDED PRECEDING) AS topic_group
                    FROM events
                    WHERE {scope}
                      AND (type_name = 'user'
                           OR (type_name = 'action' AND action_name <> 'action_listen')
                           OR (type_name = 'slot' AND action_name = 'topic'))
                ) AS grouped
            ) AS seq
            WHERE type_name <> 'slot'
            WINDOW w AS (PARTITION BY sender_id ORDER BY id)
        ) AS marked
        WHERE type_name = 'action' AND action_name IN {questions}""",
        # The one-time code: offers, acceptances and every `code_status` it got; an ended
        # code says why in the reply just before that slot.
        f"""{columns}
        SELECT e.id, 'code', e.sender_id, e.timestamp, NULL, NULL,
               CASE WHEN e.type_name = 'slot' AND {d.json_text(("value",), "e.data")} = 'ended'
                    THEN (SELECT {utter_b} FROM events b
                          WHERE b.sender_id = e.sender_id AND b.id < e.id
                            AND b.type_name = 'bot'
                          ORDER BY b.id DESC LIMIT 1) END,
               CASE WHEN e.type_name = 'action' AND e.action_name IN {in_list(OFFERS)}
                    THEN 'offered'
                    WHEN e.type_name = 'action' THEN 'accepted'
                    ELSE {d.json_text(("value",), "e.data")} END,
               NULL
        FROM events e
        WHERE {e_scope}
          AND ((e.type_name = 'action'
                AND e.action_name IN {in_list((*OFFERS, "action_send_code"))})
               OR (e.type_name = 'slot' AND e.action_name = 'code_status'))""",
        # Custom actions that recorded nothing of their own (an action that takes turns back
        # or names the next one records that): the action server failed and
        # the channel answered with its apology (a turn's events are stored together).
        f"""{columns}
        SELECT e.id, 'failed', e.sender_id, e.timestamp, NULL, e.action_name, NULL, NULL, NULL
        FROM events e
        WHERE {e_scope} AND e.type_name = 'action'
          AND e.action_name IN {in_list(article.custom_actions)}
          AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = e.id + 1
                          AND n.sender_id = e.sender_id
                          AND n.type_name IN ('bot', 'slot', 'rewind', 'undo', 'followup'))""",
        # The policies' own fallback: no story or rule fitted the turn.
        f"""{columns}
        SELECT id, 'dialogue_fallback', sender_id, timestamp, NULL, NULL, NULL, NULL, NULL
        FROM events
        WHERE {scope} AND type_name = 'action' AND action_name = '{DIALOGUE_FALLBACK}'""",
        # Replies saying the account service could not be reached.
        f"""{columns}
        SELECT id, 'outage', sender_id, timestamp, NULL, NULL, NULL, NULL, NULL
        FROM events
        WHERE {scope} AND type_name = 'bot'
          AND data LIKE '%"utter_action": "{OUTAGE_RESPONSE}"%'""",
    ]


def _state(connection: sa.engine.Connection, name: str) -> int | None:
    found = connection.execute(
        sa.text(f"SELECT value FROM {STATE} WHERE name = :name"), {"name": name}
    ).scalar()
    return None if found is None else int(found)


def _set_state(connection: sa.engine.Connection, name: str, value: int) -> None:
    connection.execute(sa.text(f"DELETE FROM {STATE} WHERE name = :name"), {"name": name})
    connection.execute(
        sa.text(f"INSERT INTO {STATE} (name, value) VALUES (:name, :value)"),
        {"name": name, "value": value},
    )


def refresh(engine: sa.engine.Engine, article: Article) -> str:
    """Brings the marks up to the events; returns what it did ("current", "updated", "rebuilt")."""
    metadata.create_all(engine)
    d = Dialect(engine.dialect.name)
    with engine.connect() as connection:
        built = _state(connection, "watermark") if sa.inspect(connection).has_table(STATE) else 0
    if not built:
        ensure_indexes(engine)  # once, with the first build
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # One refresh at a time (several web workers, a replica's page).
            connection.execute(sa.text("LOCK TABLE insights_state IN EXCLUSIVE MODE"))
        watermark = _state(connection, "watermark") or 0
        counted = _state(connection, "counted") or 0
        below = connection.execute(
            sa.text("SELECT COUNT(*) FROM events WHERE id <= :watermark"), {"watermark": watermark}
        ).scalar()
        newest = connection.execute(sa.text("SELECT MAX(id) FROM events")).scalar() or 0
        if int(below or 0) != counted:
            watermark = 0  # rows under the watermark changed: start again
            outcome = "rebuilt"
        elif newest == watermark:
            return "current"
        else:
            outcome = "updated" if watermark else "rebuilt"
        scope = ALL if watermark == 0 else NEWER
        if scope == ALL:
            connection.execute(sa.text(f"DELETE FROM {MARKS}"))
        else:
            connection.execute(
                sa.text(f"DELETE FROM {MARKS} WHERE {NEWER.format(p='')}"),
                {"watermark": watermark},
            )
        for statement in mark_queries(d, article, scope):
            connection.execute(
                sa.text(statement), {"watermark": watermark} if scope == NEWER else {}
            )
        total = connection.execute(
            sa.text("SELECT COUNT(*) FROM events WHERE id <= :newest"), {"newest": newest}
        ).scalar()
        _set_state(connection, "watermark", int(newest))
        _set_state(connection, "counted", int(total or 0))
    return outcome


def forget_sender(connection: sa.engine.Connection, sender_id: str) -> None:
    """Before a conversation's events are deleted: drops its marks and its count, so the
    summary stays exact without a rebuild. Does nothing where there is no summary."""
    if not sa.inspect(connection).has_table(STATE):
        return
    watermark = _state(connection, "watermark") or 0
    counted = _state(connection, "counted") or 0
    mine = connection.execute(
        sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :sender AND id <= :watermark"),
        {"sender": sender_id, "watermark": watermark},
    ).scalar()
    connection.execute(
        sa.text(f"DELETE FROM {MARKS} WHERE sender_id = :sender"), {"sender": sender_id}
    )
    _set_state(connection, "counted", counted - int(mine or 0))
