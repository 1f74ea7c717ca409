"""SQLite storage of the mock account service: schema, seeding and the rows.

No rule lives here (expiry, limits, masking, which mail to send); the modules that hold
them pass in the times and values to store. Each write that must not be seen half done
is one method, so it runs as one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.addresses import normalize_email

DAY_SECONDS = 24 * 60 * 60

# The rule modules read the time from one of these: time.time, or a test's fake clock.
Clock = Callable[[], float]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    email TEXT PRIMARY KEY,
    sign_in_methods TEXT NOT NULL,
    email_verified INTEGER NOT NULL,
    sso_organization TEXT,
    created_with TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS enrolments (
    email TEXT NOT NULL,
    course TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (email, course)
);
CREATE TABLE IF NOT EXISTS duplicates (
    email TEXT NOT NULL,
    duplicate_email TEXT NOT NULL,
    PRIMARY KEY (email, duplicate_email)
);
CREATE TABLE IF NOT EXISTS email_changes (
    old_email TEXT PRIMARY KEY,
    new_email TEXT NOT NULL,
    changed_at REAL NOT NULL,
    by_owner INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS domains (
    domain TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    sso_required INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    salt TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'active'
);
CREATE INDEX IF NOT EXISTS codes_by_email ON codes (email, created_at);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at REAL NOT NULL,
    conversation_id TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_recipient ON outbox (recipient, id);
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    priority TEXT NOT NULL,
    contact TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ticket_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    priority TEXT NOT NULL,
    transcript TEXT NOT NULL,
    requested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ticket_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_agents (
    name TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    step TEXT NOT NULL,
    proven INTEGER NOT NULL,
    state TEXT NOT NULL,
    requested_at REAL NOT NULL,
    agent TEXT,
    taken_at REAL,
    ended_at REAL,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS handoffs_by_state ON handoffs (state, requested_at);
CREATE INDEX IF NOT EXISTS handoffs_by_conversation ON handoffs (conversation_id, state);
CREATE TABLE IF NOT EXISTS limit_events (
    kind TEXT NOT NULL,
    address_hash TEXT,
    conversation_id TEXT NOT NULL,
    client TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS limit_events_by_time ON limit_events (at);
CREATE INDEX IF NOT EXISTS limit_events_by_address ON limit_events (address_hash, at);
CREATE INDEX IF NOT EXISTS limit_events_by_conversation ON limit_events (conversation_id, at);
CREATE INDEX IF NOT EXISTS limit_events_by_client ON limit_events (client, at);
CREATE TABLE IF NOT EXISTS idempotent_answers (
    key_hash TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    sealed_body BLOB NOT NULL,
    retry_after TEXT,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotent_answers_by_time ON idempotent_answers (at);
CREATE INDEX IF NOT EXISTS idempotent_answers_by_conversation
    ON idempotent_answers (conversation_id);
"""

TABLES = (
    "accounts",
    "enrolments",
    "duplicates",
    "email_changes",
    "domains",
    "codes",
    "tokens",
    "outbox",
    "tickets",
    "ticket_requests",
    "ticket_notes",
    "desk_agents",
    "handoffs",
    "limit_events",
    "idempotent_answers",
)


@dataclass(frozen=True)
class Account:
    """The sign-in facts of one account."""

    email: str
    sign_in_methods: list[str]
    email_verified: bool
    sso_organization: str | None


@dataclass(frozen=True)
class EmailChange:
    """An address an account moved away from, and when."""

    new_email: str
    changed_at: float
    by_owner: bool


@dataclass(frozen=True)
class Duplicate:
    """Another account that likely belongs to the same person."""

    email: str
    created_with: str


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to an idempotency key; the body is sealed (see idempotency.py)."""

    request_hash: str
    status: int
    sealed_body: bytes
    retry_after: str | None


@dataclass(frozen=True)
class CodeRow:
    """A stored one-time code; its state is 'active', 'superseded', 'used' or 'dead'."""

    id: int
    salt: str
    code_hash: str
    expires_at: float
    attempts: int
    state: str


class Storage:
    """Owns the SQLite connection; opened by the app at startup, never at import."""

    def __init__(self, db_path: str | Path) -> None:
        self._db_path = Path(db_path)
        self._conn: sqlite3.Connection | None = None

    # -- lifecycle -----------------------------------------------------------

    def open(self) -> None:
        if str(self._db_path) != ":memory:":
            self._db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self._db_path))
        conn.row_factory = sqlite3.Row
        # A commit without a disk flush takes the same few microseconds for every request.
        conn.execute("PRAGMA journal_mode = WAL")
        # Deleted rows are overwritten, not left in free pages ("forget" means forgotten).
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        ticket_columns = {row["name"] for row in conn.execute("PRAGMA table_info(tickets)")}
        if "transcript" in ticket_columns:  # the one-row-per-request layout of older databases
            conn.execute("DROP TABLE tickets")
        conn.executescript(_SCHEMA)
        conn.commit()
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("storage is not open")
        return self._conn

    # -- seeding -------------------------------------------------------------

    def seed(self, data: Mapping[str, Any], now: float) -> None:
        """Load fixture data; INSERT OR IGNORE keeps repeated starts from duplicating rows.

        Fixture dates are "days ago", counted back from `now`.
        """
        conn = self.conn
        with conn:
            for domain in data.get("domains", []):
                conn.execute(
                    "INSERT OR IGNORE INTO domains (domain, organization, sso_required)"
                    " VALUES (?, ?, ?)",
                    (
                        domain["domain"].strip().lower(),
                        domain["organization"],
                        int(bool(domain.get("sso_required", False))),
                    ),
                )
            for account in data.get("accounts", []):
                email = normalize_email(account["email"])
                methods = list(account["sign_in_methods"])
                conn.execute(
                    "INSERT OR IGNORE INTO accounts (email, sign_in_methods, email_verified,"
                    " sso_organization, created_with, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        email,
                        json.dumps(methods),
                        int(bool(account.get("email_verified", True))),
                        account.get("sso_organization"),
                        account.get("created_with", methods[0] if methods else "password"),
                        now - DAY_SECONDS * float(account.get("created_days_ago", 365)),
                    ),
                )
                for enrolment in account.get("enrolments", []):
                    conn.execute(
                        "INSERT OR IGNORE INTO enrolments (email, course, status) VALUES (?, ?, ?)",
                        (email, enrolment["course"], enrolment["status"]),
                    )
                for change in account.get("previous_emails", []):
                    conn.execute(
                        "INSERT OR IGNORE INTO email_changes"
                        " (old_email, new_email, changed_at, by_owner) VALUES (?, ?, ?, ?)",
                        (
                            normalize_email(change["email"]),
                            email,
                            now - DAY_SECONDS * float(change["changed_days_ago"]),
                            int(bool(change.get("by_owner", True))),
                        ),
                    )
            for pair in data.get("likely_duplicates", []):
                first, second = (normalize_email(address) for address in pair)
                conn.executemany(
                    "INSERT OR IGNORE INTO duplicates (email, duplicate_email) VALUES (?, ?)",
                    [(first, second), (second, first)],
                )

    # -- one-time codes and tokens -------------------------------------------

    def code_times_since(self, email: str, since: float) -> list[float]:
        """When the address's codes after `since` were created, oldest first."""
        rows = self.conn.execute(
            "SELECT created_at FROM codes WHERE email = ? AND created_at > ?"
            " ORDER BY created_at ASC",
            (email, since),
        ).fetchall()
        return [float(row["created_at"]) for row in rows]

    def replace_code(
        self,
        email: str,
        conversation_id: str,
        salt: str,
        code_hash: str,
        created_at: float,
        expires_at: float,
    ) -> None:
        """Store a code as the conversation's only active one for this address."""
        with self.conn:
            self.conn.execute(
                "UPDATE codes SET state = 'superseded'"
                " WHERE email = ? AND conversation_id = ? AND state = 'active'",
                (email, conversation_id),
            )
            self.conn.execute(
                "INSERT INTO codes (email, conversation_id, salt, code_hash, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (email, conversation_id, salt, code_hash, created_at, expires_at),
            )

    def latest_code(self, email: str, conversation_id: str) -> CodeRow | None:
        row = self.conn.execute(
            "SELECT * FROM codes WHERE email = ? AND conversation_id = ? ORDER BY id DESC LIMIT 1",
            (email, conversation_id),
        ).fetchone()
        if row is None:
            return None
        return CodeRow(
            id=int(row["id"]),
            salt=row["salt"],
            code_hash=row["code_hash"],
            expires_at=float(row["expires_at"]),
            attempts=int(row["attempts"]),
            state=row["state"],
        )

    def count_wrong_attempt(self, code_id: int, attempts: int, dead: bool) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE codes SET attempts = ?, state = ? WHERE id = ?",
                (attempts, "dead" if dead else "active", code_id),
            )

    def use_code(
        self,
        code_id: int,
        token_hash: str,
        email: str,
        conversation_id: str,
        created_at: float,
        expires_at: float,
    ) -> None:
        """Mark the code used and store the token it bought, together."""
        with self.conn:
            self.conn.execute("UPDATE codes SET state = 'used' WHERE id = ?", (code_id,))
            self.conn.execute(
                "INSERT INTO tokens (token_hash, email, conversation_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (token_hash, email, conversation_id, created_at, expires_at),
            )

    def token(self, token_hash: str) -> tuple[str, str, float] | None:
        """The address and conversation a token was issued for, and when it expires."""
        row = self.conn.execute(
            "SELECT email, conversation_id, expires_at FROM tokens WHERE token_hash = ?",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        return str(row["email"]), str(row["conversation_id"]), float(row["expires_at"])

    # -- limit counters --------------------------------------------------------

    def add_limit_event(
        self,
        kind: str,
        address_hash: str | None,
        conversation_id: str,
        client: str,
        at: float,
    ) -> None:
        """Count one event; events older than a day, the longest window, go at the same time."""
        with self.conn:
            self.conn.execute("DELETE FROM limit_events WHERE at <= ?", (at - DAY_SECONDS,))
            self.conn.execute(
                "INSERT INTO limit_events (kind, address_hash, conversation_id, client, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (kind, address_hash, conversation_id, client, at),
            )

    def limit_event_times(
        self,
        kinds: Sequence[str],
        since: float,
        *,
        address: str | None = None,
        conversation_id: str | None = None,
        client: str | None = None,
    ) -> list[float]:
        """When the matching events after `since` happened, oldest first."""
        conditions = [f"kind IN ({', '.join('?' * len(kinds))})", "at > ?"]
        values: list[Any] = [*kinds, since]
        for column, value in (
            ("address_hash", address),
            ("conversation_id", conversation_id),
            ("client", client),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                values.append(value)
        rows = self.conn.execute(
            f"SELECT at FROM limit_events WHERE {' AND '.join(conditions)} ORDER BY at, rowid",
            values,
        ).fetchall()
        return [float(row["at"]) for row in rows]

    def conversation_events(
        self, conversation_id: str, kinds: Sequence[str], since: float
    ) -> list[tuple[str, float]]:
        """A conversation's events of these kinds after `since`, oldest first."""
        rows = self.conn.execute(
            f"SELECT kind, at FROM limit_events WHERE conversation_id = ?"
            f" AND kind IN ({', '.join('?' * len(kinds))}) AND at > ? ORDER BY at, rowid",
            (conversation_id, *kinds, since),
        ).fetchall()
        return [(str(row["kind"]), float(row["at"])) for row in rows]

    # -- idempotent answers ----------------------------------------------------

    def stored_answer(self, key_hash: str, since: float) -> StoredAnswer | None:
        """The answer kept for a key, if it was stored after `since`."""
        row = self.conn.execute(
            "SELECT request_hash, status, sealed_body, retry_after FROM idempotent_answers"
            " WHERE key_hash = ? AND at > ?",
            (key_hash, since),
        ).fetchone()
        if row is None:
            return None
        return StoredAnswer(
            request_hash=row["request_hash"],
            status=int(row["status"]),
            sealed_body=bytes(row["sealed_body"]),
            retry_after=row["retry_after"],
        )

    def store_answer(
        self, key_hash: str, answer: StoredAnswer, conversation_id: str, at: float
    ) -> None:
        """Keep a key's first answer; answers older than a day go at the same time."""
        with self.conn:
            self.conn.execute("DELETE FROM idempotent_answers WHERE at <= ?", (at - DAY_SECONDS,))
            self.conn.execute(
                "INSERT INTO idempotent_answers (key_hash, request_hash, conversation_id,"
                " status, sealed_body, retry_after, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key_hash,
                    answer.request_hash,
                    conversation_id,
                    answer.status,
                    answer.sealed_body,
                    answer.retry_after,
                    at,
                ),
            )

    # -- account facts -------------------------------------------------------

    def account(self, email: str) -> Account | None:
        row = self.conn.execute("SELECT * FROM accounts WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        return Account(
            email=row["email"],
            sign_in_methods=list(json.loads(row["sign_in_methods"])),
            email_verified=bool(row["email_verified"]),
            sso_organization=row["sso_organization"],
        )

    def enrolments(self, email: str) -> list[dict[str, str]]:
        rows = self.conn.execute(
            "SELECT course, status FROM enrolments WHERE email = ? ORDER BY rowid", (email,)
        ).fetchall()
        return [{"course": row["course"], "status": row["status"]} for row in rows]

    def email_change_since(self, old_email: str, since: float) -> EmailChange | None:
        """The move away from `old_email`, if it happened at or after `since`."""
        row = self.conn.execute(
            "SELECT new_email, changed_at, by_owner FROM email_changes"
            " WHERE old_email = ? AND changed_at >= ?",
            (old_email, since),
        ).fetchone()
        if row is None:
            return None
        return EmailChange(
            new_email=row["new_email"],
            changed_at=float(row["changed_at"]),
            by_owner=bool(row["by_owner"]),
        )

    def duplicates(self, email: str) -> list[Duplicate]:
        rows = self.conn.execute(
            "SELECT a.email, a.created_with FROM duplicates d"
            " JOIN accounts a ON a.email = d.duplicate_email"
            " WHERE d.email = ? ORDER BY d.rowid",
            (email,),
        ).fetchall()
        return [Duplicate(email=row["email"], created_with=row["created_with"]) for row in rows]

    def domain_sso(self, domain: str) -> tuple[str | None, bool]:
        row = self.conn.execute(
            "SELECT organization, sso_required FROM domains WHERE domain = ?", (domain,)
        ).fetchone()
        if row is None:
            return None, False
        return row["organization"], bool(row["sso_required"])

    # -- outbox --------------------------------------------------------------

    def add_mail(
        self, recipient: str, subject: str, body: str, sent_at: float, conversation_id: str
    ) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO outbox (recipient, subject, body, sent_at, conversation_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (recipient, subject, body, sent_at, conversation_id),
            )

    def mails_to(self, recipient: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT recipient, subject, body, sent_at FROM outbox WHERE recipient = ?"
            " ORDER BY id ASC",
            (recipient,),
        ).fetchall()
        return [
            {
                "to": row["recipient"],
                "subject": row["subject"],
                "body": row["body"],
                "sent_at": row["sent_at"],
            }
            for row in rows
        ]

    # -- tickets -------------------------------------------------------------

    def open_ticket_of(self, conversation_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT ticket_id FROM tickets WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return None if row is None else str(row["ticket_id"])

    def add_ticket(
        self,
        ticket_id: str,
        conversation_id: str,
        topic: str,
        priority: str,
        contact: str,
        created_at: float,
    ) -> bool:
        """Store a ticket; False when `ticket_id` is already taken."""
        try:
            with self.conn:
                self.conn.execute(
                    "INSERT INTO tickets (ticket_id, conversation_id, topic, priority, contact,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (ticket_id, conversation_id, topic, priority, contact, created_at, created_at),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def add_ticket_request(
        self,
        ticket_id: str,
        topic: str,
        priority: str,
        transcript: Sequence[Mapping[str, str]],
        contact: str | None,
        requested_at: float,
    ) -> None:
        """Append a request; the ticket takes the higher priority and a newly proven contact."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO ticket_requests (ticket_id, conversation_id, topic, priority,"
                " transcript, requested_at) SELECT ticket_id, conversation_id, ?, ?, ?, ?"
                " FROM tickets WHERE ticket_id = ?",
                (topic, priority, json.dumps(list(transcript)), requested_at, ticket_id),
            )
            self.conn.execute(
                "UPDATE tickets SET updated_at = ?,"
                " priority = CASE WHEN ? = 'high' THEN 'high' ELSE priority END,"
                " contact = COALESCE(?, contact) WHERE ticket_id = ?",
                (requested_at, priority, contact, ticket_id),
            )

    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM tickets WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        if row is None:
            return None
        requests = self.conn.execute(
            "SELECT topic, priority, transcript, requested_at FROM ticket_requests"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        ).fetchall()
        notes = self.conn.execute(
            "SELECT author, note, at FROM ticket_notes WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        ).fetchall()
        return {
            "ticket_id": row["ticket_id"],
            "conversation_id": row["conversation_id"],
            "topic": row["topic"],
            "priority": row["priority"],
            "contact": row["contact"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "requests": [
                {
                    "topic": request["topic"],
                    "priority": request["priority"],
                    "requested_at": request["requested_at"],
                    "transcript": json.loads(request["transcript"]),
                }
                for request in requests
            ],
            "notes": [dict(note) for note in notes],
        }

    def add_ticket_note(self, conversation_id: str, author: str, note: str, at: float) -> bool:
        """A note on the conversation's ticket; False when it has none."""
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO ticket_notes (ticket_id, conversation_id, author, note, at)"
                " SELECT ticket_id, conversation_id, ?, ?, ? FROM tickets"
                " WHERE conversation_id = ?",
                (author, note, at, conversation_id),
            )
            self.conn.execute(
                "UPDATE tickets SET updated_at = ? WHERE conversation_id = ?",
                (at, conversation_id),
            )
        return cursor.rowcount > 0

    # -- live handoff --------------------------------------------------------

    def agent_seen(self, name: str, at: float) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO desk_agents (name, seen_at) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
                (name, at),
            )

    def agent_gone(self, name: str) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM desk_agents WHERE name = ?", (name,))

    def agents_seen_since(self, since: float) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM desk_agents WHERE seen_at >= ?", (since,)
        ).fetchone()
        return int(row[0])

    def open_handoff(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's handoff that is waiting or taken, if any."""
        row = self.conn.execute(
            "SELECT * FROM handoffs WHERE conversation_id = ? AND state IN ('waiting', 'taken')",
            (conversation_id,),
        ).fetchone()
        return None if row is None else dict(row)

    def add_handoff(
        self, conversation_id: str, topic: str, step: str, proven: bool, at: float
    ) -> dict[str, Any]:
        """Queue the conversation unless it already has an open handoff; return that one."""
        with self.conn:
            existing = self.open_handoff(conversation_id)
            if existing is not None:
                return existing
            self.conn.execute(
                "INSERT INTO handoffs (conversation_id, topic, step, proven, state,"
                " requested_at) VALUES (?, ?, ?, ?, 'waiting', ?)",
                (conversation_id, topic, step, int(proven), at),
            )
            added = self.open_handoff(conversation_id)
        assert added is not None
        return added

    def give_up_waiting(self, requested_before: float, at: float) -> None:
        """Conversations that asked before `requested_before` and still wait have left."""
        with self.conn:
            self.conn.execute(
                "UPDATE handoffs SET state = 'left', ended_at = ?"
                " WHERE state = 'waiting' AND requested_at < ?",
                (at, requested_before),
            )

    def waiting_before(self, handoff_id: int) -> int:
        """Conversations waiting that asked before this one (ids grow with time)."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM handoffs WHERE state = 'waiting' AND id < ?", (handoff_id,)
        ).fetchone()
        return int(row[0])

    def recent_waits(self, count: int) -> list[float]:
        """Seconds from request to an agent taking it, for the latest `count` taken."""
        rows = self.conn.execute(
            "SELECT taken_at - requested_at FROM handoffs WHERE taken_at IS NOT NULL"
            " ORDER BY taken_at DESC LIMIT ?",
            (count,),
        ).fetchall()
        return [float(row[0]) for row in rows]

    def handoffs_in(self, states: Sequence[str]) -> list[dict[str, Any]]:
        marks = ", ".join("?" for _ in states)
        rows = self.conn.execute(
            f"SELECT * FROM handoffs WHERE state IN ({marks}) ORDER BY id", tuple(states)
        ).fetchall()
        return [dict(row) for row in rows]

    def move_handoff(
        self,
        conversation_id: str,
        from_state: str,
        to_state: str,
        at: float,
        agent: str | None = None,
        outcome: str | None = None,
    ) -> bool:
        """One state change, only from `from_state` (and, if given, held by `agent`)."""
        stamp = {"taken": "taken_at", "left": "ended_at", "ended": "ended_at"}[to_state]
        held = "" if agent is None or to_state == "taken" else " AND agent = :agent"
        with self.conn:
            cursor = self.conn.execute(
                f"UPDATE handoffs SET state = :to_state, {stamp} = :at,"
                " agent = COALESCE(:agent, agent), outcome = COALESCE(:outcome, outcome)"
                f" WHERE conversation_id = :conversation AND state = :from_state{held}",
                {
                    "to_state": to_state,
                    "at": at,
                    "agent": agent,
                    "outcome": outcome,
                    "conversation": conversation_id,
                    "from_state": from_state,
                },
            )
        return cursor.rowcount == 1

    # -- privacy -------------------------------------------------------------

    def forget_conversation(self, conversation_id: str) -> dict[str, int]:
        """Delete every record tied to one conversation ("forget me").

        The limit counters stay: they hold no address, and forgetting must not reset them.
        """
        deleted: dict[str, int] = {}
        with self.conn:
            for key, table in (
                ("outbox", "outbox"),
                ("codes", "codes"),
                ("tokens", "tokens"),
                ("tickets", "tickets"),
                ("ticket_requests", "ticket_requests"),
                ("ticket_notes", "ticket_notes"),
                ("handoffs", "handoffs"),
                ("idempotent_answers", "idempotent_answers"),
            ):
                cursor = self.conn.execute(
                    f"DELETE FROM {table} WHERE conversation_id = ?", (conversation_id,)
                )
                deleted[key] = cursor.rowcount
        # The write-ahead log still holds the pages as they were before: copy it into the
        # database and empty it.
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted
