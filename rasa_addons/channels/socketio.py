"""The socket.io channel for the website widget, with the guard, an origin check and
session ids the server issues.

Everything else is Rasa's SocketIOInput (events, session_persistence, socketio_path),
except one repair: with the pinned python-socketio, `enter_room` is a coroutine that
Rasa 3.6 never awaits, so with session_persistence the learner's socket never joined
its session's room and saw no replies at all. `session_request` here awaits it.
Browsers do not apply CORS to WebSockets, so the connect handler itself refuses pages
from origins other than those given to `rasa run --cors`; clients that send no Origin
(not a browser page) are let through as before.

A session id is the conversation's sender id, so whoever knows one could read its replies
and write into it. The server therefore issues them signed (env SESSION_SIGNING_KEY): a
session request with a valid id resumes that conversation, any other id gets a new one,
and a socket's messages always go to the session confirmed to that socket, whatever
session id they name. An id also ends: it carries its issue time, and a conversation
idle for SESSION_IDLE_MINUTES (30) or begun SESSION_MAX_HOURS (12) ago is not resumed,
so on a shared computer the next person gets a new conversation, not the last learner's.

In a cluster (SOCKETIO_REDIS_URL set) the replicas share python-socketio's Redis message
queue, so a message for a learner's room reaches them on whichever replica holds their socket:
the support desk's messages (rasa_addons/channels/desk.py) arrive through any replica.

A `user_uttered` event may carry a `message_id` (a turn id, see rasa_addons/turns.py); each
`bot_uttered` answering it then carries the same `message_id` and its `reply_index`, so a
widget that re-sends a turn shows a replayed reply only once.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from common.constant_time import same_secret
from rasa_addons.channels.desk import LEARNER_SOCKETS, LearnerSockets, agent_messages
from rasa_addons.channels.guard import (
    MAX_REQUEST_BYTES,
    RATE_LIMITED_REPLY,
    MessageGuard,
    client_id,
    secret_key,
)
from rasa_addons.turns import TURN_METADATA_KEY

logger = logging.getLogger(__name__)


def allowed_origins(app: Any) -> list[str]:
    """The origins the Rasa server was started with (`--cors`), as Sanic-CORS holds them."""
    context = getattr(getattr(app, "ctx", None), "sanic_cors", None)
    options = getattr(context, "_options", None) or {}
    origins: Any = []
    for resource in (options.get("resources") or {}).values():
        origins = resource.get("origins") if isinstance(resource, dict) else None
    if isinstance(origins, str):
        origins = [origins] if origins else []
    return [str(origin) for origin in origins or []]


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    if not origin:
        return True
    return "*" in allowed or origin in allowed


DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_MAX_HOURS = 12.0


def _env_float(name: str, default: float) -> float:
    value = float(os.environ.get(name) or default)
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


class SessionIds:
    """Session ids of the form `<random>.<issued>.<signature>`: 32 hex digits, the issue
    time (Unix seconds, hex) and 32 hex digits of HMAC over both. An id is valid until
    `max_age_seconds` after it was issued."""

    def __init__(
        self,
        key: bytes,
        max_age_seconds: float = DEFAULT_MAX_HOURS * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.max_age_seconds = max_age_seconds
        self.clock = clock

    def signature(self, token: str, issued: str) -> str:
        signed = f"{token}.{issued}".encode("utf-8", "surrogatepass")
        return hmac.new(self.key, signed, hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        token, issued = secrets.token_hex(16), format(int(self.clock()), "x")
        return f"{token}.{issued}.{self.signature(token, issued)}"

    def valid(self, session_id: Any) -> bool:
        if not isinstance(session_id, str) or session_id.count(".") != 2:
            return False
        token, issued, signature = session_id.split(".")
        if len(token) != 32 or not same_secret(signature, self.signature(token, issued)):
            return False
        age = self.clock() - int(issued, 16)  # signed, so it is the hex we wrote
        return 0 <= age < self.max_age_seconds


def share_rooms(sio: socketio.AsyncServer, redis_url: str) -> None:
    """Rooms across replicas: python-socketio's Redis manager, installed before the first
    connection initialises the default one."""
    sio.manager = socketio.AsyncRedisManager(redis_url)
    sio.manager.set_server(sio)


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's SocketIOInput with screening, the apology, origin checking and signed sessions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = MessageGuard()
        self.session_ids = SessionIds(
            secret_key("SESSION_SIGNING_KEY"),
            max_age_seconds=_env_float("SESSION_MAX_HOURS", DEFAULT_MAX_HOURS) * 3600,
        )
        self.idle_seconds = _env_float("SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES) * 60

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(self.guard.wrap(on_new_message))
        sio = self.sio
        assert sio is not None
        if os.environ.get("SOCKETIO_REDIS_URL"):
            share_rooms(sio, os.environ["SOCKETIO_REDIS_URL"])
        # Messages, like request bodies, are refused above this size.
        sio.eio.max_http_buffer_size = MAX_REQUEST_BYTES
        namespace = self.namespace or "/"
        rasa_connect = sio.handlers[namespace]["connect"]
        rasa_message = sio.handlers[namespace][self.user_message_evt]

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            request = environ.get("sanic.request")
            app = getattr(request, "app", None) or self.guard.app
            if not origin_allowed(environ.get("HTTP_ORIGIN"), allowed_origins(app)):
                return False
            if not await rasa_connect(sid, environ, auth):
                return False
            peer = str(getattr(request, "ip", "") or environ.get("REMOTE_ADDR", ""))
            client = client_id(peer, environ.get("HTTP_X_FORWARDED_FOR"))
            await sio.save_session(sid, {"client": client}, namespace=namespace)
            return True

        sio.on("connect", connect, namespace=self.namespace)

        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if self.session_ids.valid(requested) else None
            tracker = await self.stored(session_id) if session_id is not None else None
            if tracker is not None and self.idle_too_long(tracker):
                session_id, tracker = None, None
            session_id = session_id or self.session_ids.issue()
            async with sio.session(sid, namespace=namespace) as session:
                session["session_id"] = session_id
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            if tracker is not None and tracker.is_paused():
                # A page reloaded while an agent has the chat: the agent's messages again
                # (the widget shows each once), so none sent during the reload is lost.
                for message in agent_messages(tracker.events):
                    await sio.emit(self.bot_message_evt, message, room=sid, namespace=namespace)

        sio.on("session_request", session_request, namespace=self.namespace)

        async def user_uttered(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            session_id = session.get("session_id")
            if session_id is None or not isinstance(data, dict):
                logger.debug("A message before a session was confirmed is ignored.")
                return
            wait = self.guard.rate_limits.retry_after(session_id, session["client"])
            if wait is not None:
                output = SocketIOOutput(sio, self.bot_message_evt)
                await output.send_text_message(session_id, RATE_LIMITED_REPLY)
                return
            await rasa_message(
                sid,
                {
                    "message": data.get("message", ""),
                    "session_id": session_id,
                    self.metadata_key: {
                        "client": session["client"],
                        TURN_METADATA_KEY: data.get("message_id"),
                    },
                },
            )

        sio.on(self.user_message_evt, user_uttered, namespace=self.namespace)

        @webhook.listener("before_server_start")
        async def bind(app: Any, _loop: Any) -> None:
            self.guard.bind(app)
            setattr(app.ctx, LEARNER_SOCKETS, LearnerSockets(sio, self.bot_message_evt))

        return webhook

    async def stored(self, session_id: str) -> Any:
        """The conversation's tracker, None when it has none (or no model is loaded)."""
        agent = getattr(getattr(self.guard.app, "ctx", None), "agent", None)
        tracker_store = getattr(agent, "tracker_store", None)
        return None if tracker_store is None else await tracker_store.retrieve(session_id)

    def idle_too_long(self, tracker: Any) -> bool:
        """True when the conversation's last event is older than the idle limit."""
        if not tracker.events:
            return False  # nothing said yet: nothing to protect
        return time.time() - tracker.events[-1].timestamp > self.idle_seconds
