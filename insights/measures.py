"""The support team's weekly figures, from SQL aggregations over the tracker store.

Each query groups and counts in the database (SQLite or PostgreSQL); Python only names the
groups (topics, steps, outcomes) and reads the few rows that come back. Only the messages the
assistant did not understand are read one by one, to mask and list them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from insights import sql
from insights.article import Article, load, step_label
from insights.privacy import mask
from insights.summary import refresh

HANDOFF_INTENT = "request_human"
TICKET_ACTION = "action_hand_over"
FALLBACK_INTENT = "nlu_fallback"
# The policies' own fallback: no rule or story fits the turn ("I'm still not sure ...").
DIALOGUE_FALLBACK = "action_default_fallback"
OUTAGE_RESPONSE = "utter_service_down"
# A message read with less confidence than this (but above the fallback threshold) counts as
# low-confidence: it was acted on, but the classifier was not sure.
LOW_CONFIDENCE = 0.5
SOLVED_INTENTS = ("affirm", "thank")
# How a "did that work?" was answered, in the order the tables show them.
OUTCOMES = ("solved", "not_solved", "switched", "person", "left", "other")
# The code's `code_status` values grouped into the funnel's outcomes.
CODE_LIMITED = ("limit", "mail_limit", "wait", "blocked")
CODE_STAGES = ("offered", "accepted", "sent", "verified", "wrong", "expired", "limited")
TICKET_REASONS = {
    "utter_offer_ticket": "steps exhausted",
    "utter_offer_change_ticket": "email change",
}


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `start` included, `end` included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Period:
        today = today or datetime.now(timezone.utc).date()
        return cls(today - timedelta(days=days - 1), today)

    def bounds(self) -> dict[str, float]:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=timezone.utc)
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=timezone.utc)
        return {"start": start.timestamp(), "end": (end + timedelta(days=1)).timestamp()}

    def days(self) -> list[str]:
        count = (self.end - self.start).days + 1
        return [(self.start + timedelta(days=offset)).isoformat() for offset in range(count)]


@dataclass
class Table:
    """One table of the page and its CSV file."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]


@dataclass
class Insights:
    """Every measure of one period: headline figures and the tables behind them."""

    period: Period
    summary: dict[str, Any]
    tables: dict[str, Table]
    misunderstood: list[dict[str, Any]]
    seconds: float = 0.0

    def table(self, name: str) -> Table:
        return self.tables[name]


def engine_for(location: str | Path) -> sa.engine.Engine:
    """A SQLAlchemy engine for a SQLite file path or any database URL."""
    text = str(location)
    if "://" in text:
        return sa.create_engine(text)
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"no tracker store at {path}")
    return sa.create_engine(f"sqlite:///{path.resolve()}")


def has_events(engine: sa.engine.Engine) -> bool:
    return sa.inspect(engine).has_table("events")


def share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def outcome_of(answer: str | None, article: Article) -> str:
    if answer is None:
        return "left"
    if answer in SOLVED_INTENTS:
        return "solved"
    if answer == "deny":
        return "not_solved"
    if answer == HANDOFF_INTENT:
        return "person"
    if answer in article.topic_intents:
        return "switched"
    return "other"


def ticket_reason(before_intent: str | None, before_action: str | None) -> str:
    if before_intent == HANDOFF_INTENT:
        return "on request"
    if before_intent == "affirm" and before_action in TICKET_REASONS:
        return TICKET_REASONS[before_action]
    return "other"


class Measures:
    """Runs the queries of one period against one tracker store."""

    def __init__(
        self,
        engine: sa.engine.Engine,
        article: Article | None = None,
        accounts_db: Path | None = None,
        low_confidence: float = LOW_CONFIDENCE,
    ) -> None:
        self.engine = engine
        self.dialect = sql.Dialect(engine.dialect.name)
        self.article = article or load()
        self.accounts_db = accounts_db
        self.low_confidence = low_confidence

    def compute(self, period: Period) -> Insights:
        started = time.perf_counter()
        params = period.bounds()
        if not has_events(self.engine):
            return self._empty(period)
        refresh(self.engine, self.article)
        with self.engine.connect() as connection:

            def rows(query: str, **extra: Any) -> list[Any]:
                return list(connection.execute(sa.text(query), {**params, **extra}))

            daily = rows(sql.per_day(self.dialect))
            totals = rows(sql.conversations(HANDOFF_INTENT))[0]
            walked = rows(sql.WALK)
            starts = rows(sql.TOPIC_STARTS)
            codes = rows(sql.codes(CODE_LIMITED))
            reached_rows = rows(sql.REACHED)
            understood = rows(sql.understanding(FALLBACK_INTENT), low=self.low_confidence)[0]
            unclear = rows(sql.misunderstood(FALLBACK_INTENT))
            health = {str(row[0]): (int(row[1]), int(row[2])) for row in rows(sql.HEALTH)}
            latencies = sorted(float(row[0]) for row in rows(sql.LATENCY))
        tables: dict[str, Table] = {}
        tables["daily"] = self._daily(period, daily)
        steps, topics, funnel = self._walk(walked, starts, reached_rows)
        tables["steps"], tables["topics"], tables["funnel"] = steps, topics, funnel
        tables["codes"] = self._codes(codes)
        tables["handoffs"] = self._handoffs(walked)
        misunderstood = [self._unclear(row) for row in unclear]
        tables["misunderstood"] = Table(
            "misunderstood",
            "Messages the assistant did not understand, with its best guesses",
            ("time", "message", "guess_1", "confidence_1", "guess_2", "confidence_2"),
            [(item["time"], item["message"], *_flat(item["guesses"], 2)) for item in misunderstood],
        )
        conversations = int(totals[0] or 0)
        contained = int(totals[3] or 0)
        messages = sum(int(row[2] or 0) for row in daily)
        service_tickets = self._service_tickets(period)
        tables["live_handoffs"], live = self._live_handoffs(period)
        tables["tickets"] = Table(
            "tickets",
            "Tickets in the account service by topic and priority",
            ("topic", "priority", "tickets"),
            service_tickets or [],
        )
        summary: dict[str, Any] = {
            "conversations": conversations,
            "messages": messages,
            "contained": contained,
            "containment": share(contained, conversations),
            "asked_for_person": int(totals[1] or 0),
            "ticket_conversations": int(totals[2] or 0),
            "fallback": int(understood[0] or 0),
            "fallback_rate": share(int(understood[0] or 0), messages),
            "low_confidence": int(understood[1] or 0),
            "low_confidence_rate": share(int(understood[1] or 0), messages),
            "dialogue_fallback": health.get("dialogue_fallback", (0, 0))[0],
            "apology_turns": health.get("failed", (0, 0))[0],
            "outage_replies": health.get("outage", (0, 0))[0],
            "outage_conversations": health.get("outage", (0, 0))[1],
            "latency_turns": len(latencies),
            "latency_p50_ms": _ms(percentile(latencies, 0.5)),
            "latency_p90_ms": _ms(percentile(latencies, 0.9)),
            "latency_p99_ms": _ms(percentile(latencies, 0.99)),
            "account_service_tickets": (
                None if service_tickets is None else sum(row[2] for row in service_tickets)
            ),
            **live,
        }
        tables["health"] = Table(
            "health",
            "Health",
            ("measure", "value"),
            [
                ("turns answered with the apology (an action failed)", summary["apology_turns"]),
                ("account service outage replies", summary["outage_replies"]),
                ("conversations that met an outage", summary["outage_conversations"]),
                ("turns with a recorded reply", summary["latency_turns"]),
                ("reply latency p50 (ms)", summary["latency_p50_ms"]),
                ("reply latency p90 (ms)", summary["latency_p90_ms"]),
                ("reply latency p99 (ms)", summary["latency_p99_ms"]),
            ],
        )
        tables["summary"] = Table(
            "summary", "Summary", ("measure", "value"), [(k, v) for k, v in summary.items()]
        )
        return Insights(
            period, summary, tables, misunderstood, seconds=time.perf_counter() - started
        )

    def _empty(self, period: Period) -> Insights:
        """No conversation yet (the store is created on Rasa's first message)."""
        engine = sa.create_engine("sqlite://")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
                    " timestamp FLOAT, intent_name TEXT, action_name TEXT, data TEXT)"
                )
            )
        return Measures(engine, self.article, self.accounts_db, self.low_confidence).compute(period)

    def _daily(self, period: Period, daily: list[Any]) -> Table:
        found = {str(row[0]): (int(row[1] or 0), int(row[2] or 0)) for row in daily}
        return Table(
            "daily",
            "Conversations and learners' messages per day (UTC)",
            ("day", "conversations", "messages"),
            [(day, *found.get(day, (0, 0))) for day in period.days()],
        )

    def _walk(
        self, walked: list[Any], starts: list[Any], reached_rows: list[Any]
    ) -> tuple[Table, Table, Table]:
        article = self.article
        asked: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        reached: dict[tuple[str, str], int] = defaultdict(int)
        for kind, topic, step, answer, _detail, times, _conversations in walked:
            if kind != "question":
                continue
            topic = article.topic_of(topic, step)
            key = (topic, step or "unknown")
            asked[key][outcome_of(answer, article)] += int(times)
        for topic, step, conversations in reached_rows:
            reached[(article.topic_of(topic, step), step or "unknown")] += int(conversations)
        ordered = sorted(asked, key=lambda key: self._step_order(*key))
        step_rows = []
        for topic, step in ordered:
            counts = asked[(topic, step)]
            total = sum(counts.values())
            step_rows.append(
                (
                    topic,
                    article.step_number(topic, step) or "",
                    step_label(step),
                    total,
                    *(counts.get(outcome, 0) for outcome in OUTCOMES),
                    share(counts.get("solved", 0), total),
                )
            )
        steps = Table(
            "steps",
            'Resolution per article step (answers to "Did that work?")',
            ("topic", "step", "step_name", "asked", *OUTCOMES, "solved_share"),
            step_rows,
        )
        started = {str(row[0]): int(row[1]) for row in starts if row[0]}
        topic_rows = []
        for topic in [*article.topics, *sorted({t for t, _ in asked} - set(article.topics))]:
            counts = defaultdict(int)
            for (other, _step), by_outcome in asked.items():
                if other == topic:
                    for outcome, times in by_outcome.items():
                        counts[outcome] += times
            total = sum(counts.values())
            if not total and not started.get(topic):
                continue
            topic_rows.append(
                (
                    topic,
                    started.get(topic, 0),
                    total,
                    *(counts.get(outcome, 0) for outcome in OUTCOMES),
                    share(counts.get("solved", 0), total),
                )
            )
        topics = Table(
            "topics",
            "Resolution per topic",
            ("topic", "started", "asked", *OUTCOMES, "solved_share"),
            topic_rows,
        )
        funnel_rows: list[tuple[Any, ...]] = []
        for topic in (str(row[0]) for row in topic_rows):
            funnel_rows.append((topic, 0, "started", started.get(topic, 0), "", "", "", ""))
            for other, step in ordered:
                if other != topic:
                    continue
                counts = asked[(topic, step)]
                funnel_rows.append(
                    (
                        topic,
                        article.step_number(topic, step) or "",
                        step_label(step),
                        reached[(topic, step)],
                        counts.get("solved", 0),
                        counts.get("not_solved", 0),
                        counts.get("switched", 0),
                        counts.get("left", 0),
                    )
                )
        funnel = Table(
            "funnel",
            "Funnel per topic: conversations that reached each step and what they did there",
            ("topic", "step", "step_name", "reached", "solved", "not_solved", "switched", "left"),
            funnel_rows,
        )
        return steps, topics, funnel

    def _step_order(self, topic: str, step: str) -> tuple[int, int, str]:
        topics = list(self.article.topics)
        topic_index = topics.index(topic) if topic in topics else len(topics)
        number = self.article.step_number(topic, step)
        return (topic_index, number if number is not None else 99, step)

    def _codes(self, codes: list[Any]) -> Table:
        found = {str(stage): (int(senders), int(times)) for stage, senders, times in codes}
        stages = [*CODE_STAGES, *sorted(set(found) - set(CODE_STAGES))]
        return Table(
            "codes",
            "One-time code funnel",
            ("stage", "conversations", "times"),
            [(stage, *found.get(stage, (0, 0))) for stage in stages],
        )

    def _handoffs(self, walked: list[Any]) -> Table:
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for kind, topic, _step, intent, action, times, senders in walked:
            if kind != "ticket":
                continue
            key = (topic or "general", ticket_reason(intent, action))
            counts[key][0] += int(times)
            counts[key][1] += int(senders)
        return Table(
            "handoffs",
            "Handoffs to a person by topic and reason",
            ("topic", "reason", "times", "conversations"),
            [(topic, reason, *counts[(topic, reason)]) for topic, reason in sorted(counts)],
        )

    def _unclear(self, row: Any) -> dict[str, Any]:
        event = json.loads(row[3])
        parse = event.get("parse_data") or {}
        ranking = [
            (str(item.get("name")), round(float(item.get("confidence") or 0), 3))
            for item in parse.get("intent_ranking") or []
            if item.get("name") != FALLBACK_INTENT
        ][:2]
        when = datetime.fromtimestamp(float(row[2]), timezone.utc)
        return {
            "time": when.strftime("%Y-%m-%d %H:%M"),
            "message": mask(str(event.get("text") or "")),
            "guesses": ranking,
        }

    def _live_handoffs(self, period: Period) -> tuple[Table, dict[str, Any]]:
        """The live desk's handoffs asked for in the period (the account service's SQLite file,
        read-only), per section and article step: asked, answered by an agent, left for a
        ticket, the wait until an agent took it, and how the agents ended them."""
        table = Table(
            "live_handoffs",
            "Live handoffs to an agent by section and step reached",
            (
                "topic",
                "step",
                "requested",
                "answered",
                "abandoned",
                "waiting_now",
                "solved",
                "not_solved",
                "wait_p50_s",
                "wait_p95_s",
            ),
        )
        found = self._read_accounts(
            "SELECT topic, step, state, outcome, taken_at - requested_at FROM handoffs"
            " WHERE requested_at >= ? AND requested_at < ? ORDER BY 1, 2",
            period,
        )
        groups: dict[tuple[str, str], list[Any]] = {}
        for row in found or []:
            groups.setdefault((str(row[0]), str(row[1])), []).append(row)
        every = [row for rows in groups.values() for row in rows]
        for (topic, step), rows in [*sorted(groups.items()), (("all", "all"), every)]:
            if not rows:
                continue
            waits = sorted(float(row[4]) for row in rows if row[4] is not None)
            table.rows.append(
                (
                    topic,
                    step if step in ("all", "none") else step_label(step),
                    len(rows),
                    len(waits),
                    sum(1 for row in rows if row[2] == "left"),
                    sum(1 for row in rows if row[2] == "waiting"),
                    sum(1 for row in rows if row[3] == "solved"),
                    sum(1 for row in rows if row[3] == "not_solved"),
                    _rounded(percentile(waits, 0.5)),
                    _rounded(percentile(waits, 0.95)),
                )
            )
        totals = table.rows[-1] if table.rows else ("all", "all", 0, 0, 0, 0, 0, 0, None, None)
        summary = {
            "handoffs_requested": None if found is None else totals[2],
            "handoffs_answered": None if found is None else totals[3],
            "handoffs_abandoned": None if found is None else totals[4],
            "handoff_wait_p50_s": totals[8],
            "handoff_wait_p95_s": totals[9],
        }
        return table, summary

    def _read_accounts(self, query: str, period: Period) -> list[Any] | None:
        """Rows of the account service's SQLite file for the period; None where it is not
        at hand."""
        if self.accounts_db is None or not self.accounts_db.exists():
            return None
        bounds = period.bounds()
        uri = f"file:{self.accounts_db.resolve()}?mode=ro"
        try:
            with sqlite3.connect(uri, uri=True) as connection:
                return connection.execute(query, (bounds["start"], bounds["end"])).fetchall()
        except sqlite3.Error:
            return None

    def _service_tickets(self, period: Period) -> list[tuple[str, str, int]] | None:
        """Tickets the account service opened in the period, by topic and priority (its
        SQLite file, read-only); None where it is not at hand."""
        found = self._read_accounts(
            "SELECT topic, priority, COUNT(*) FROM tickets"
            " WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2 ORDER BY 1, 2",
            period,
        )
        if found is None:
            return None
        return [(str(topic), str(priority), int(count)) for topic, priority, count in found]


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _flat(guesses: list[tuple[str, float]], count: int) -> list[Any]:
    padded = [*guesses, *[("", None)] * count][:count]
    return [value for guess in padded for value in guess]
