"""SQLite persistence and the one-time-code rules of the mock account service.

The rules live next to the data so every check-and-update happens in one
place; the web layer only translates HTTP to these calls.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from account_service.addresses import mask_addresses_in_text, mask_email, normalize_email

CODE_TTL_SECONDS = 10 * 60
MAX_CODE_ATTEMPTS = 3
MAX_CODES_PER_WINDOW = 3
CODE_WINDOW_SECONDS = 60 * 60
TOKEN_TTL_SECONDS = 30 * 60
# How long an address an account moved away from still reports that move.
EMAIL_CHANGE_GRACE_SECONDS = 30 * 24 * 60 * 60
DAY_SECONDS = 24 * 60 * 60

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
    conversation_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    priority TEXT NOT NULL,
    transcript TEXT NOT NULL,
    email TEXT,
    created_at REAL NOT NULL
);
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
)


@dataclass(frozen=True)
class CodeIssue:
    """Outcome of asking for a code; ``retry_after_seconds`` is set only when refused."""

    allowed: bool
    retry_after_seconds: int = 0


@dataclass(frozen=True)
class CodeCheck:
    """Outcome of checking a code, mirroring the API's ``status`` values."""

    status: str
    token: str | None = None
    attempts_left: int | None = None


@dataclass(frozen=True)
class Account:
    """The sign-in facts of one account, as the reset/verification mails need them."""

    email: str
    sign_in_methods: list[str]
    email_verified: bool
    sso_organization: str | None


def _hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    """Owns the SQLite connection; opened by the app at startup, never at import."""

    def __init__(self, db_path: str | Path, clock: Clock) -> None:
        self._db_path = Path(db_path)
        self._clock = clock
        self._conn: sqlite3.Connection | None = None

    # -- lifecycle -----------------------------------------------------------

    def open(self) -> None:
        if str(self._db_path) != ":memory:":
            self._db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self._db_path))
        conn.row_factory = sqlite3.Row
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
            raise RuntimeError("store is not open")
        return self._conn

    def table_counts(self) -> dict[str, int]:
        return {
            table: int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in TABLES
        }

    # -- seeding -------------------------------------------------------------

    def seed(self, data: Mapping[str, Any]) -> None:
        """Load fixture data; INSERT OR IGNORE keeps repeated starts from duplicating rows."""
        now = self._clock()
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

    # -- one-time codes ------------------------------------------------------

    def issue_code(self, email: str, conversation_id: str, code: str) -> CodeIssue:
        """Store a new code unless the address already had its quota this hour."""
        now = self._clock()
        conn = self.conn
        recent = conn.execute(
            "SELECT created_at FROM codes WHERE email = ? AND created_at > ?"
            " ORDER BY created_at ASC",
            (email, now - CODE_WINDOW_SECONDS),
        ).fetchall()
        if len(recent) >= MAX_CODES_PER_WINDOW:
            oldest = float(recent[0]["created_at"])
            wait = max(1, math.ceil(oldest + CODE_WINDOW_SECONDS - now))
            return CodeIssue(allowed=False, retry_after_seconds=wait)
        salt = secrets.token_hex(16)
        with conn:
            # A new code replaces the earlier one for this conversation.
            conn.execute(
                "UPDATE codes SET state = 'superseded'"
                " WHERE email = ? AND conversation_id = ? AND state = 'active'",
                (email, conversation_id),
            )
            conn.execute(
                "INSERT INTO codes (email, conversation_id, salt, code_hash, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (email, conversation_id, salt, _hash_code(salt, code), now, now + CODE_TTL_SECONDS),
            )
        return CodeIssue(allowed=True)

    def check_code(self, email: str, conversation_id: str, code: str) -> CodeCheck:
        """Check the newest code of this conversation; success yields a fresh token."""
        now = self._clock()
        conn = self.conn
        row = conn.execute(
            "SELECT * FROM codes WHERE email = ? AND conversation_id = ? ORDER BY id DESC LIMIT 1",
            (email, conversation_id),
        ).fetchone()
        if row is None or row["state"] in ("used", "superseded"):
            return CodeCheck(status="no_code")
        if row["state"] == "dead" or row["attempts"] >= MAX_CODE_ATTEMPTS:
            return CodeCheck(status="too_many_attempts")
        if now >= row["expires_at"]:
            return CodeCheck(status="expired")
        if not hmac.compare_digest(_hash_code(row["salt"], code), row["code_hash"]):
            attempts = int(row["attempts"]) + 1
            dead = attempts >= MAX_CODE_ATTEMPTS
            with conn:
                conn.execute(
                    "UPDATE codes SET attempts = ?, state = ? WHERE id = ?",
                    (attempts, "dead" if dead else "active", row["id"]),
                )
            if dead:
                return CodeCheck(status="too_many_attempts")
            return CodeCheck(status="wrong_code", attempts_left=MAX_CODE_ATTEMPTS - attempts)
        token = secrets.token_urlsafe(32)
        with conn:
            conn.execute("UPDATE codes SET state = 'used' WHERE id = ?", (row["id"],))
            conn.execute(
                "INSERT INTO tokens (token_hash, email, conversation_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (_hash_token(token), email, conversation_id, now, now + TOKEN_TTL_SECONDS),
            )
        return CodeCheck(status="verified", token=token)

    def token_email(self, token: str) -> str | None:
        """The address a still-valid token was issued for, else None."""
        row = self.conn.execute(
            "SELECT email, expires_at FROM tokens WHERE token_hash = ?", (_hash_token(token),)
        ).fetchone()
        if row is None or self._clock() >= row["expires_at"]:
            return None
        return str(row["email"])

    # -- account facts -------------------------------------------------------

    def get_account(self, email: str) -> Account | None:
        row = self.conn.execute("SELECT * FROM accounts WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        return Account(
            email=row["email"],
            sign_in_methods=list(json.loads(row["sign_in_methods"])),
            email_verified=bool(row["email_verified"]),
            sso_organization=row["sso_organization"],
        )

    def _enrolments(self, email: str) -> list[dict[str, str]]:
        rows = self.conn.execute(
            "SELECT course, status FROM enrolments WHERE email = ? ORDER BY rowid", (email,)
        ).fetchall()
        return [{"course": row["course"], "status": row["status"]} for row in rows]

    def account_state(self, email: str) -> dict[str, Any]:
        """Everything the assistant may learn about an address its user proved to own."""
        now = self._clock()
        conn = self.conn
        state: dict[str, Any] = {
            "email": email,
            "exists": False,
            "sign_in_methods": [],
            "email_verified": False,
            "sso_organization": None,
            "recent_email_change": None,
            "enrolments": [],
            "likely_duplicates": [],
        }
        change = conn.execute(
            "SELECT new_email, changed_at, by_owner FROM email_changes"
            " WHERE old_email = ? AND changed_at >= ?",
            (email, now - EMAIL_CHANGE_GRACE_SECONDS),
        ).fetchone()
        if change is not None:
            state["recent_email_change"] = {
                "new_email_masked": mask_email(change["new_email"]),
                "days_ago": max(0, int((now - change["changed_at"]) // DAY_SECONDS)),
                "by_owner": bool(change["by_owner"]),
            }
        account = conn.execute("SELECT * FROM accounts WHERE email = ?", (email,)).fetchone()
        if account is None:
            return state
        state.update(
            exists=True,
            sign_in_methods=list(json.loads(account["sign_in_methods"])),
            email_verified=bool(account["email_verified"]),
            sso_organization=account["sso_organization"],
            enrolments=self._enrolments(email),
        )
        duplicates = conn.execute(
            "SELECT a.email, a.created_with FROM duplicates d"
            " JOIN accounts a ON a.email = d.duplicate_email"
            " WHERE d.email = ? ORDER BY d.rowid",
            (email,),
        ).fetchall()
        state["likely_duplicates"] = [
            {
                "email_masked": mask_email(row["email"]),
                "created_with": row["created_with"],
                "enrolments": self._enrolments(row["email"]),
            }
            for row in duplicates
        ]
        return state

    def domain_sso(self, domain: str) -> tuple[str | None, bool]:
        row = self.conn.execute(
            "SELECT organization, sso_required FROM domains WHERE domain = ?", (domain,)
        ).fetchone()
        if row is None:
            return None, False
        return row["organization"], bool(row["sso_required"])

    # -- outbox --------------------------------------------------------------

    def add_mail(
        self, recipient: str, subject: str, body: str, conversation_id: str | None
    ) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO outbox (recipient, subject, body, sent_at, conversation_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (recipient, subject, body, self._clock(), conversation_id),
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

    def create_ticket(
        self,
        conversation_id: str,
        topic: str,
        priority: str,
        transcript: Iterable[Mapping[str, str]],
        email: str | None,
    ) -> str:
        """Store a hand-off ticket; transcript addresses are masked here as a last line."""
        cleaned = [
            {"sender": turn["sender"], "text": mask_addresses_in_text(turn["text"])}
            for turn in transcript
        ]
        with self.conn:
            while True:
                ticket_id = f"CS-{secrets.randbelow(900000) + 100000}"
                try:
                    self.conn.execute(
                        "INSERT INTO tickets (ticket_id, conversation_id, topic, priority,"
                        " transcript, email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            ticket_id,
                            conversation_id,
                            mask_addresses_in_text(topic),
                            priority,
                            json.dumps(cleaned),
                            email,
                            self._clock(),
                        ),
                    )
                except sqlite3.IntegrityError:
                    continue
                return ticket_id

    def get_ticket(self, ticket_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM tickets WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        if row is None:
            return None
        return {
            "ticket_id": row["ticket_id"],
            "conversation_id": row["conversation_id"],
            "topic": row["topic"],
            "priority": row["priority"],
            "transcript": json.loads(row["transcript"]),
            "email": row["email"],
            "created_at": row["created_at"],
        }

    # -- privacy -------------------------------------------------------------

    def forget_conversation(self, conversation_id: str) -> dict[str, int]:
        """Delete every record tied to one conversation ("forget me")."""
        deleted: dict[str, int] = {}
        with self.conn:
            for key, table in (
                ("outbox", "outbox"),
                ("codes", "codes"),
                ("tokens", "tokens"),
                ("tickets", "tickets"),
            ):
                cursor = self.conn.execute(
                    f"DELETE FROM {table} WHERE conversation_id = ?", (conversation_id,)
                )
                deleted[key] = cursor.rowcount
        return deleted
