"""The socket.io channel for the website widget, with the guard and an origin check.

Everything else is Rasa's SocketIOInput (events, session_persistence, socketio_path),
except one repair: with the pinned python-socketio, `enter_room` is a coroutine that
Rasa 3.6 never awaits, so with session_persistence the learner's socket never joined
its session's room and saw no replies at all. `session_request` here awaits it.
Browsers do not apply CORS to WebSockets, so the connect handler itself refuses pages
from origins other than those given to `rasa run --cors`; clients that send no Origin
(not a browser page) are let through as before.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from rasa_addons.channels.guard import MessageGuard, intents_of


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


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's SocketIOInput with screening, the apology and origin checking."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._app: Any = None
        self.guard = MessageGuard(self._known_intents)

    def _known_intents(self) -> Collection[str] | None:
        return intents_of(self._app)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(self.guard.wrap(on_new_message))
        sio = self.sio
        assert sio is not None
        namespace = self.namespace or "/"
        rasa_connect = sio.handlers[namespace]["connect"]

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            request = environ.get("sanic.request")
            app = getattr(request, "app", None) or self._app
            if not origin_allowed(environ.get("HTTP_ORIGIN"), allowed_origins(app)):
                return False
            return bool(await rasa_connect(sid, environ, auth))

        sio.on("connect", connect, namespace=self.namespace)

        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            if data.get("session_id") is None:
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, data["session_id"], namespace=namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=namespace)

        sio.on("session_request", session_request, namespace=self.namespace)

        @webhook.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self._app = app

        return webhook
