"""The REST channel (`POST /webhooks/rest/webhook`) with the guard around every message.

Before Rasa's handler runs, a request is checked here: outside the demo (DEMO_MODE, see
common/demo.py) it must carry `Authorization: Bearer <REST_CHANNEL_TOKEN>` (else 401), and a message
over the rate limits is answered 429 with Retry-After and the usual list of replies.

The body is Rasa's (`sender`, `message`) plus an optional `message_id`: a turn id (8-64
letters, digits, `-` or `_`, unique within the conversation). Sending a message again with
the same turn id returns the replies of the first time, without handling it again
(rasa_addons/turns.py), so a client whose request failed can simply repeat it. Without
one, a trusted proxy's `X-Request-Id` is the turn id, so a proxy may pass a failed request
to another replica.

While a support agent has the conversation, a message gets no reply here (the agent answers
in the console); `GET /webhooks/rest/updates?sender=<id>&after=<time>` gives what the desk
said after `time` (each message has its `at`), with the same authorization.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.constant_time import same_secret
from common.demo import demo_mode
from rasa_addons.channels.desk import desk_messages
from rasa_addons.channels.guard import (
    RATE_LIMITED_REPLY,
    MessageGuard,
    client_id,
    is_trusted_proxy,
)
from rasa_addons.turns import TURN_METADATA_KEY


def required_token() -> str | None:
    """The bearer token the webhook requires; None in demo mode (the launchers set DEMO_MODE;
    a server started without it is not a demo)."""
    if demo_mode():
        return None
    # Without a configured token nothing matches, so the webhook stays closed.
    return os.environ.get("REST_CHANNEL_TOKEN", "")


class GuardedRestInput(RestInput):
    """Rasa's RestInput; replies to bad input itself and apologises instead of going quiet."""

    def __init__(self) -> None:
        self.guard = MessageGuard()
        self.token = required_token()

    def authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        sent = request.headers.get("authorization", "")
        return bool(self.token) and same_secret(sent, f"Bearer {self.token}")

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json if isinstance(request.json, dict) else {}
        turn = body.get("message_id")
        if turn is None and is_trusted_proxy(request.ip):
            # A proxy that may pass this request to another replica names it.
            turn = request.headers.get("x-request-id")
        return {"client": request.ctx.client, TURN_METADATA_KEY: turn}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(self.guard.wrap(on_new_message))

        @webhook.middleware("request")
        async def admit(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            if not self.authorized(request):
                return response.json(
                    {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
                )
            request.ctx.client = client_id(request.ip, request.headers.get("x-forwarded-for"))
            body = request.json if isinstance(request.json, dict) else {}
            sender = str(body.get("sender"))
            wait = self.guard.rate_limits.retry_after(sender, request.ctx.client)
            if wait is None:
                return None
            return response.json(
                [{"recipient_id": sender, "text": RATE_LIMITED_REPLY}],
                status=429,
                headers={"Retry-After": str(wait)},
            )

        @webhook.route("/updates", methods=["GET"])
        async def updates(request: Request) -> HTTPResponse:
            """What the support desk said since `after` (a time from an earlier answer)."""
            if not self.authorized(request):
                return response.json({"error": "unauthorized"}, status=401)
            sender = request.args.get("sender", "")
            try:
                after = float(request.args.get("after") or 0)
            except ValueError:
                return response.json({"error": "after is a number"}, status=400)
            tracker_store = request.app.ctx.agent.tracker_store
            tracker = await tracker_store.retrieve(sender) if sender else None
            if tracker is None:
                return response.json({"handed_over": False, "messages": []})
            messages = desk_messages(tracker.events, after)
            return response.json({"handed_over": tracker.is_paused(), "messages": messages})

        @webhook.listener("before_server_start")
        async def bind(app: Any, _loop: Any) -> None:
            self.guard.bind(app)

        return webhook
