"""The support desk's way into a conversation: an agent joins, writes, and leaves.

The agent console (web/desk.py) calls these routes with `Authorization: Bearer
<AGENT_DESK_TOKEN>` after checking the agent's session and that the agent has the
conversation; the learner never reaches them. Everything goes into the conversation's
tracker under its lock, through Rasa's own mechanisms:

- `POST /webhooks/desk/join`: the external intent `agent_joined` (as Rasa's trigger_intent
  does); its rule's action greets the learner and pauses the conversation, so the assistant
  predicts nothing while the agent has it (Rasa's ConversationPaused); then the listen Rasa
  skips when paused.
- `POST /webhooks/desk/message`: the agent's text, stored as a bot message marked with the
  agent's name, and sent to the learner's widget.
- `POST /webhooks/desk/leave`: ConversationResumed, then the external intent `agent_left`,
  whose action asks whether that solved it.

Messages go to the learner's socket.io room (every replica's, through the socket.io Redis
queue in a cluster). A learner on the REST channel reads them with
`GET /webhooks/rest/updates` (rasa_addons/channels/rest.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.socketio import SocketIOOutput
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from common.constant_time import same_secret
from common.handoff import DESK_KEY, OUTCOMES, WRITTEN_BY_KEY, agent_name

logger = logging.getLogger(__name__)

# The agent's name in what a learner's widget or REST client receives.
AGENT_KEY = "agent"
MAX_AGENT_TEXT = 2000


# Where the Rasa app keeps the learners' sockets for the desk (app.ctx attribute).
LEARNER_SOCKETS = "learner_sockets"


@dataclass(frozen=True)
class LearnerSockets:
    """The socket.io server, for messages that answer no learner turn."""

    sio: socketio.AsyncServer
    event: str

    async def emit(self, session_id: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(self.event, payload, room=session_id)

    def output(self) -> SocketIOOutput:
        return SocketIOOutput(self.sio, self.event)


def learner_sockets(app: Any, tracker: Any) -> LearnerSockets | None:
    """The learner's socket.io room, or None for a learner on REST (who polls)."""
    sockets = getattr(app.ctx, LEARNER_SOCKETS, None)
    return sockets if tracker.get_latest_input_channel() == "socketio" else None


def learner_output(app: Any, tracker: Any) -> OutputChannel:
    sockets = learner_sockets(app, tracker)
    return sockets.output() if sockets is not None else CollectingOutputChannel()


def desk_messages(events: Any, after: float) -> list[dict[str, Any]]:
    """The bot messages the desk put into a conversation after `after` (Unix time)."""
    return [
        {
            "text": event.text,
            "buttons": (event.data or {}).get("buttons") or [],
            AGENT_KEY: event.metadata.get(WRITTEN_BY_KEY),
            "at": event.timestamp,
        }
        for event in events
        if isinstance(event, BotUttered)
        and (event.metadata or {}).get(DESK_KEY)
        and event.timestamp > after
    ]


def shown_to_learner(event: BotUttered) -> dict[str, Any]:
    """An agent's message as the widget gets it: the text, who wrote it, and its time,
    by which the widget shows a message sent again (after a reload) only once."""
    return {
        "text": event.text,
        AGENT_KEY: event.metadata[WRITTEN_BY_KEY],
        "desk_at": event.timestamp,
    }


def agent_messages(events: Any) -> list[dict[str, Any]]:
    """Every message an agent wrote in the conversation, as the widget gets them."""
    return [
        shown_to_learner(event)
        for event in events
        if isinstance(event, BotUttered) and (event.metadata or {}).get(WRITTEN_BY_KEY)
    ]


class AgentDeskInput(InputChannel):
    """Routes for the agent console; not a channel learners write to."""

    @classmethod
    def name(cls) -> str:
        return "desk"

    def __init__(self) -> None:
        self.token = os.environ.get("AGENT_DESK_TOKEN", "")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        desk = Blueprint("desk_webhook", __name__)

        @desk.middleware("request")
        async def admit(request: Request) -> HTTPResponse | None:
            sent = request.headers.get("authorization", "")
            # Without a configured token nothing matches: the desk stays closed.
            if not self.token or not same_secret(sent, f"Bearer {self.token}"):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        @desk.route("/join", methods=["POST"])
        async def join(request: Request) -> HTTPResponse:
            conversation, agent, _ = fields(request)
            await self.trigger(request.app, conversation, "agent_joined", {"agent": agent})
            return response.json({"joined": conversation})

        @desk.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            conversation, agent, body = fields(request)
            text = body.get("text")
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_AGENT_TEXT:
                return response.json({"error": "text"}, status=400)
            await self.say(request.app, conversation, agent, text.strip())
            return response.json({"sent": True})

        @desk.route("/leave", methods=["POST"])
        async def leave(request: Request) -> HTTPResponse:
            conversation, agent, body = fields(request)
            outcome = body.get("outcome")
            if outcome not in OUTCOMES:
                return response.json({"error": "outcome"}, status=400)
            await self.trigger(
                request.app,
                conversation,
                "agent_left",
                {"agent": agent, "outcome": outcome},
                resume=True,
            )
            return response.json({"left": conversation})

        return desk

    async def say(self, app: Any, conversation: str, agent: str, text: str) -> None:
        """The agent's message: kept in the conversation, then shown to the learner."""
        rasa_agent = app.ctx.agent
        async with rasa_agent.lock_store.lock(conversation):
            tracker = await rasa_agent.processor.get_tracker(conversation)
            tracker.update(BotUttered(text, metadata={DESK_KEY: True, WRITTEN_BY_KEY: agent}))
            await rasa_agent.processor.save_tracker(tracker)
        sockets = learner_sockets(app, tracker)
        if sockets is not None:
            await sockets.emit(conversation, shown_to_learner(tracker.events[-1]))

    async def trigger(
        self,
        app: Any,
        conversation: str,
        intent: str,
        entities: dict[str, str],
        resume: bool = False,
    ) -> None:
        """An external intent, as Rasa's `trigger_intent` route runs one."""
        rasa_agent = app.ctx.agent
        async with rasa_agent.lock_store.lock(conversation):
            tracker = await rasa_agent.processor.get_tracker(conversation)
            if resume:
                tracker.update(ConversationResumed())
            output = learner_output(app, tracker)
            await rasa_agent.processor.trigger_external_user_uttered(
                intent, entities, tracker, output
            )
            if tracker.is_paused():
                # Paused, Rasa stops before listening; the learner's messages to the agent
                # then follow a listen, as every learner message does, and the policies see
                # the desk's next intent as the learner's latest turn.
                tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                await rasa_agent.processor.save_tracker(tracker)


def fields(request: Request) -> tuple[str, str, dict[str, Any]]:
    """The conversation and agent every route names; a bad body is a 400."""
    body = request.json if isinstance(request.json, dict) else {}
    conversation, agent = body.get("conversation_id"), body.get("agent")
    if not isinstance(conversation, str) or not conversation or len(conversation) > 200:
        raise InvalidUsage("conversation_id")
    name = agent_name(agent) if isinstance(agent, str) else None
    if name is None:
        raise InvalidUsage("agent")
    return conversation, name, body
