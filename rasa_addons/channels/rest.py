"""The REST channel (`POST /webhooks/rest/webhook`) with the guard around every message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from rasa_addons.channels.guard import MessageGuard, intents_of


class GuardedRestInput(RestInput):
    """Rasa's RestInput; replies to bad input itself and apologises instead of going quiet."""

    def __init__(self) -> None:
        self._app: Any = None
        self.guard = MessageGuard(self._known_intents)

    def _known_intents(self) -> Collection[str] | None:
        return intents_of(self._app)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(self.guard.wrap(on_new_message))

        @webhook.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self._app = app

        return webhook
