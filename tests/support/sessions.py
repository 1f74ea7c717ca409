"""socket.io session ids as the session tests present them, on one server or the cluster,
and waiting for what a session's turns store."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TypeVar

import pytest

from rasa_addons.channels.socketio import SessionIds
from stack.learner import Assistant, SocketLearner

Item = TypeVar("Item")

# Ids the server never issued, each one way of getting it wrong.
FOREIGN_IDS = [
    pytest.param(None, id="missing"),
    pytest.param("learner-1234", id="unsigned"),
    pytest.param("not.signed", id="malformed"),
    pytest.param(f"{secrets.token_hex(16)}.{'0' * 32}", id="bad-signature"),
    pytest.param(SessionIds(b"another server's key").issue(), id="foreign-key"),
    pytest.param(f"{'é' * 32}.{'ü' * 32}", id="non-ascii"),
    pytest.param(secrets.token_hex(16) + "." + "\udcff" * 32, id="surrogates"),
]


def once_stored(read: Callable[[], list[Item]], count: int) -> list[Item]:
    """What `read` returns once it holds `count` items (a turn may still be saving), or
    after 30 s, whatever it holds then."""
    deadline = time.monotonic() + 30
    while True:
        items = read()
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def confirmed_for(assistant: Assistant, requested: str | None) -> str:
    """The session the server confirms to a widget that asks for `requested`."""
    with SocketLearner(assistant, sender=requested) as learner:
        return learner.sender


def aged_ids(signing_key: str) -> tuple[str, str]:
    """Two ids signed with the server's key: one issued 13 hours ago, past
    SESSION_MAX_HOURS (12), and one issued an hour ago."""
    key = signing_key.encode()
    ended = SessionIds(key, clock=lambda: time.time() - 13 * 3600).issue()
    recent = SessionIds(key, clock=lambda: time.time() - 3600).issue()
    return ended, recent


def altered(session_id: str) -> str:
    """The id with its last signature digit changed."""
    return session_id[:-1] + ("0" if session_id[-1] != "0" else "1")


def move_back(tracker_db: Path, sender: str, seconds: float) -> int:
    """Makes a conversation in a SQLite tracker store look `seconds` older, as if it had
    been idle that long: every event's time (column and JSON) moved back. The rows are
    written anew (new ids, then the old rows deleted) rather than changed in place, as a
    store only ever appends or deletes: the Rasa server's kept tracker no longer matches
    the rows, so it reads the conversation as stored. Returns the number of events."""
    with closing(sqlite3.connect(tracker_db)) as connection, connection:
        rows = connection.execute(
            "SELECT id, type_name, timestamp, intent_name, action_name, data FROM events"
            " WHERE sender_id = ? ORDER BY id",
            (sender,),
        ).fetchall()
        for _, type_name, stamp, intent, action, data in rows:
            event = json.loads(data)
            event["timestamp"] = event["timestamp"] - seconds
            connection.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name,"
                " action_name, data) VALUES (?, ?, ?, ?, ?, ?)",
                (sender, type_name, stamp - seconds, intent, action, json.dumps(event)),
            )
        connection.executemany("DELETE FROM events WHERE id = ?", [(row[0],) for row in rows])
    return len(rows)
