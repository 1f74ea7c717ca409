"""A learner talking to a running stack over the REST channel, and what Rasa stored.

Used by the tests and by `make transcripts`; the stack is the one `stack.processes` started.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from stack.processes import Stack

CODE = re.compile(r"\b(\d{6})\b")


def http_json(url: str, payload: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def tracker_events(db: Path, sender_id: str | None = None) -> list[tuple[str, str]]:
    """(type_name, data) of the events in the SQLite tracker store, oldest first."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        if sender_id is None:
            rows = connection.execute("SELECT type_name, data FROM events ORDER BY id")
        else:
            rows = connection.execute(
                "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id",
                (sender_id,),
            )
        return [(str(kind), str(data)) for kind, data in rows]


class RestChat:
    """A learner talking to the running assistant over the REST channel."""

    def __init__(self, stack: Stack, sender: str | None = None) -> None:
        self.stack = stack
        self.sender = sender or f"learner-{uuid.uuid4().hex[:10]}"
        self.replies: list[dict[str, Any]] = []

    def replies_to(self, text: str) -> list[dict[str, Any]]:
        """Sends one message; returns the bot's replies (text, buttons) as the channel gave them."""
        self.replies = http_json(
            f"{self.stack.config.rasa_url}/webhooks/rest/webhook",
            {"sender": self.sender, "message": text},
        )
        return self.replies

    def say(self, text: str) -> list[str]:
        return [reply.get("text") or "" for reply in self.replies_to(text)]

    def text(self, message: str) -> str:
        return "\n".join(self.say(message))

    def buttons(self) -> list[dict[str, str]]:
        return [button for reply in self.replies for button in reply.get("buttons") or []]

    def last_turn_responses(self) -> list[str]:
        """The names of the domain responses the assistant sent for the latest message,
        as Rasa stored them in the tracker store."""
        events = [
            json.loads(data)
            for _, data in tracker_events(self.stack.config.tracker_db, self.sender)
        ]
        last_user = max(i for i, event in enumerate(events) if event["event"] == "user")
        return [
            str((event.get("metadata") or {}).get("utter_action"))
            for event in events[last_user:]
            if event["event"] == "bot"
        ]

    def outbox(self, address: str) -> list[dict[str, Any]]:
        config = self.stack.config
        return list(
            http_json(
                f"{config.account_url}/outbox?to={urllib.parse.quote(address)}",
                headers={"X-API-Key": config.api_key},
            )
        )

    def latest_code(self, address: str) -> str:
        codes = [CODE.search(mail["body"]) for mail in self.outbox(address)]
        found = [match.group(1) for match in codes if match]
        assert found, f"no code in the outbox of {address}"
        return found[-1]
