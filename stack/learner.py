"""Simulated learners: they chat with a running assistant, read the mail it had sent them
and look up what Rasa stored of their conversation.

One interface over two channels (the REST webhook and the widget's socket.io) for tests and
scripts, and an async REST learner for load generation; the request, the replies and the
outbox are read the same way by all of them.
"""

from __future__ import annotations

import functools
import json
import queue
import random
import sqlite3
import urllib.parse
import urllib.request
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import aiohttp
import requests
import socketio
import yaml

from common.codes import find_code

ROOT = Path(__file__).resolve().parent.parent

# Turns can be slow while a replica or the action server starts up.
TURN_TIMEOUT = 120.0
HTTP_TIMEOUT = 60.0
# socket.io sends each bot message on its own: a turn is over once none came for a while.
QUIET_SECONDS = 2.0
Reply = dict[str, Any]


class Assistant(Protocol):
    """Where a learner finds the assistant; a `StackConfig` is one."""

    @property
    def rasa_url(self) -> str: ...

    @property
    def account_url(self) -> str | None: ...

    @property
    def api_key(self) -> str | None: ...

    @property
    def tracker_db(self) -> Path | None: ...


@dataclass(frozen=True)
class Endpoints:
    """An assistant given by its addresses (a cluster replica, a benchmark target)."""

    rasa_url: str
    account_url: str | None = None
    api_key: str | None = None
    tracker_db: Path | None = None


class Refused(RuntimeError):
    """The chat server answered a turn with an error status instead of replies."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:120].decode(errors='replace')}")
        self.status = status


def new_sender(prefix: str = "learner") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_client() -> str:
    """A network address of its own for a simulated learner (in 198.18.0.0/15, the range
    set aside for benchmarks), so that learners are rate-limited one by one, as people are."""
    return f"198.{random.randint(18, 19)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def client_headers(client: str) -> dict[str, str]:
    """What a proxy in front of the assistant would add; the assistant believes it only from
    proxies it trusts (env TRUSTED_PROXIES), otherwise the learner is its own address."""
    return {"X-Forwarded-For": client}


def http_json(
    url: str,
    payload: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> Any:
    """GET (or POST `payload` as JSON) and parse the answer; an empty body is None."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def webhook_url(rasa_url: str) -> str:
    return f"{rasa_url}/webhooks/rest/webhook"


def desk_updates(
    rasa_url: str, sender: str, after: float = 0.0, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the support desk said in a REST conversation after `after` (its `at` times),
    and whether an agent has it (rasa_addons/channels/rest.py)."""
    query = urllib.parse.urlencode({"sender": sender, "after": repr(after)})
    return dict(http_json(f"{rasa_url}/webhooks/rest/updates?{query}", headers=headers))


def new_turn() -> str:
    """A turn id: a message sent again with the same id is answered, not handled, again."""
    return uuid.uuid4().hex


def message(sender: str, text: str, turn: str | None = None) -> dict[str, str]:
    """The body of one learner message to the REST webhook."""
    return {"sender": sender, "message": text, **({"message_id": turn} if turn else {})}


def replies_from(answer: Any) -> list[Reply]:
    """The bot messages in a webhook answer; an empty body means none."""
    return list(answer or [])


def reply_texts(replies: Iterable[Mapping[str, Any]]) -> list[str]:
    """The text of each reply there is something to read in: a payload for the widget only
    (`start_over`) has none, and a learner never sees it."""
    return [str(reply.get("text") or "") for reply in replies if not widget_payload(reply)]


def widget_payload(reply: Mapping[str, Any]) -> bool:
    """A reply with no text, buttons or image: data for the widget, such as `start_over`."""
    shown = ("text", "buttons", "quick_replies", "image", "attachment")
    return not any(reply.get(key) for key in shown) and ("custom" in reply or "start_over" in reply)


@functools.cache
def failure_texts() -> dict[str, str]:
    """What a learner sees when a turn failed, by name: the channels' apology and the
    account service's outage line (every variation of it in the domain)."""
    from rasa_addons.channels.guard import TROUBLE_REPLY

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    outage = {
        variation["text"]: "outage" for variation in domain["responses"]["utter_service_down"]
    }
    return {TROUBLE_REPLY: "apology", **outage}


def failed_turn(replies: Iterable[Mapping[str, Any]]) -> str | None:
    """Why the turn failed as the learner saw it ("empty", "apology", "outage"), or None when
    it was served. An apology answers the learner but serves nothing, so it counts as failed."""
    texts = [text for text in reply_texts(replies) if text.strip()]
    if not texts:
        return "empty"
    failures = failure_texts()
    for text in texts:
        if text in failures:
            return failures[text]
    return None


def outbox_request(assistant: Assistant, address: str) -> tuple[str, dict[str, str]]:
    """URL and headers that list the mails the account service sent to `address`."""
    if assistant.account_url is None or assistant.api_key is None:
        raise ValueError("this assistant was given without its account service")
    url = f"{assistant.account_url}/outbox?to={urllib.parse.quote(address)}"
    return url, {"X-API-Key": assistant.api_key}


def newest_code(mails: Iterable[Mapping[str, Any]]) -> str | None:
    """The one-time code of the newest mail that has one (an outbox lists oldest first)."""
    codes = [code for mail in mails if (code := find_code(str(mail.get("body") or "")))]
    return codes[-1] if codes else None


def tracker_events(db: Path, sender_id: str) -> list[tuple[str, str]]:
    """(type_name, data) of one conversation's events in the SQLite tracker store, oldest
    first; none before Rasa created the store."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender_id,)
        )
        return [(str(kind), str(data)) for kind, data in rows]


class Learner(ABC):
    """One learner's conversation with the assistant, whatever the channel."""

    # Where a reply of this channel carries its buttons.
    buttons_key = "buttons"

    def __init__(
        self, assistant: Assistant, sender: str | None = None, client: str | None = None
    ) -> None:
        self.assistant = assistant
        self.sender = sender or new_sender()
        self.client = client or new_client()
        self.replies: list[Reply] = []

    @abstractmethod
    def replies_to(self, text: str, turn: str | None = None) -> list[Reply]:
        """Sends one message with a new turn id, or `turn` to send one again; returns the
        bot's replies as the channel gave them."""

    def say(self, text: str) -> list[str]:
        return reply_texts(self.replies_to(text))

    def text(self, message: str) -> str:
        return "\n".join(self.say(message))

    def buttons(self) -> list[dict[str, str]]:
        """The buttons of the latest replies (title and payload)."""
        return [button for reply in self.replies for button in reply.get(self.buttons_key) or []]

    def outbox(self, address: str) -> list[dict[str, Any]]:
        url, headers = outbox_request(self.assistant, address)
        return list(http_json(url, headers=headers))

    def latest_code(self, address: str) -> str:
        code = newest_code(self.outbox(address))
        assert code, f"no code in the outbox of {address}"
        return code

    def events(self) -> list[tuple[str, str]]:
        """This conversation's events in the SQLite tracker store."""
        assert self.assistant.tracker_db is not None, "this assistant has no SQLite tracker"
        return tracker_events(self.assistant.tracker_db, self.sender)

    def last_turn_responses(self) -> list[str]:
        """The names of the domain responses the assistant sent for the latest message,
        as Rasa stored them in the tracker store."""
        events = [json.loads(data) for _, data in self.events()]
        last_user = max(i for i, event in enumerate(events) if event["event"] == "user")
        return [
            str((event.get("metadata") or {}).get("utter_action"))
            for event in events[last_user:]
            if event["event"] == "bot"
        ]


class RestLearner(Learner):
    """A learner on the REST channel: one request per message, the replies in the answer."""

    def replies_to(self, text: str, turn: str | None = None) -> list[Reply]:
        answer = http_json(
            webhook_url(self.assistant.rasa_url),
            message(self.sender, text, turn or new_turn()),
            headers=client_headers(self.client),
            timeout=TURN_TIMEOUT,
        )
        self.replies = replies_from(answer)
        return self.replies

    def desk_updates(self, after: float = 0.0) -> dict[str, Any]:
        return desk_updates(
            self.assistant.rasa_url, self.sender, after, client_headers(self.client)
        )


class SocketLearner(Learner):
    """A learner using the website widget's protocol (socket.io, session persistence).

    Like the widget it asks for the session `sender` (a session id the server issued, to
    resume that conversation) and then uses whichever session the server confirms.
    """

    buttons_key = "quick_replies"

    def __init__(
        self,
        assistant: Assistant,
        sender: str | None = None,
        origin: str | None = "http://localhost:8080",
        client: str | None = None,
    ) -> None:
        super().__init__(assistant, sender, client)
        # The headers on every request, as a proxy in front of the assistant adds them
        # (python-engineio sends its `headers` with the first request only).
        http = requests.Session()
        http.headers.update(client_headers(self.client))
        if origin:
            http.headers["Origin"] = origin
        self.socket = socketio.Client(reconnection=False, handle_sigint=False, http_session=http)
        self.received: queue.Queue[Reply] = queue.Queue()
        self.confirmed: queue.Queue[Any] = queue.Queue()
        self.socket.on("bot_uttered", self.received.put)
        self.socket.on("session_confirm", self.confirmed.put)
        # Whether the server took the socket.io connection: True, or its refusal.
        self.admitted: queue.Queue[Any] = queue.Queue()
        self.socket.on("connect", lambda: self.admitted.put(True))
        self.socket.on("connect_error", self.admitted.put)

    def connect(self) -> SocketLearner:
        self.socket.connect(
            self.assistant.rasa_url,
            socketio_path="/socket.io",
            # Long-polling: this client's websocket transport needs packages Rasa does not
            # pin (the server side and browsers are not affected).
            transports=["polling"],
            # Waited for below: python-socketio's own wait ends a refused connection with
            # `disconnect`, which waits for the pending long-poll (up to 30 s).
            wait=False,
        )
        admitted = self.admitted.get(timeout=30)
        if admitted is not True:
            self.close()
            raise socketio.exceptions.ConnectionError(f"connection refused: {admitted}")
        # With session persistence the session id is the sender id in the tracker store.
        self.socket.emit("session_request", {"session_id": self.sender})
        self.sender = str(self.confirmed.get(timeout=30))
        return self

    def replies_to(self, text: str, turn: str | None = None) -> list[Reply]:
        """Sends a message; collects bot messages until none arrive for `QUIET_SECONDS`."""
        self.socket.emit(
            "user_uttered",
            {"message": text, "session_id": self.sender, "message_id": turn or new_turn()},
        )
        replies = [self.received.get(timeout=TURN_TIMEOUT)]
        while True:
            try:
                replies.append(self.received.get(timeout=QUIET_SECONDS))
            except queue.Empty:
                break
        self.replies = replies
        return replies

    def close(self) -> None:
        """Sends engine.io's CLOSE and returns. The server ends the session (socket.io's
        with it) on the CLOSE but leaves the client's pending long-poll unanswered until its
        next ping, which python-socketio's `disconnect` waits for: up to 30 s per learner.
        That request ends in its own background thread instead."""
        self.socket.eio.disconnect(abort=True)

    def __enter__(self) -> SocketLearner:
        return self.connect()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class AsyncRestLearner:
    """The REST learner for load generation: many at once, sharing one aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        assistant: Assistant,
        sender: str,
        client: str | None = None,
    ) -> None:
        self.session = session
        self.assistant = assistant
        self.sender = sender
        self.headers = client_headers(client or new_client())

    async def replies_to(self, text: str, turn: str | None = None) -> list[Reply]:
        """Sends one message (again, with its `turn` id); raises `Refused` on an error status.
        The turn id also goes in a header, for a proxy's access log."""
        turn = turn or new_turn()
        async with self.session.post(
            webhook_url(self.assistant.rasa_url),
            json=message(self.sender, text, turn),
            headers={**self.headers, "X-Turn-Id": turn},
        ) as response:
            body = await response.read()
        if response.status != 200:
            raise Refused(response.status, body)
        return replies_from(json.loads(body or b"null"))

    async def outbox(self, address: str) -> list[dict[str, Any]]:
        url, headers = outbox_request(self.assistant, address)
        async with self.session.get(url, headers=headers) as response:
            response.raise_for_status()
            return list(await response.json())

    async def latest_code(self, address: str) -> str | None:
        return newest_code(await self.outbox(address))
