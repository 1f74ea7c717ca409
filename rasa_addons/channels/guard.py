"""What every channel does around Rasa's message handling.

Before a message reaches NLU it is screened: control characters are removed; empty
messages, overlong ones and ones without a single letter or digit (emoji, symbols) are
answered here; typed slash commands are reduced to what a button can send (`/intent`, no
entities, no confidence). After Rasa has handled it, a turn that produced no reply or in
which an action failed (action server down, crashed or answering with an error) gets only
a short apology with a way forward, so the learner never meets silence or a half turn.
"""

from __future__ import annotations

import contextvars
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import UserMessage

from rasa_addons import private_api

MAX_MESSAGE_CHARS = 2000

TROUBLE_REPLY = (
    "Sorry, I'm having trouble on my side right now and couldn't finish that. "
    "Please try again in a moment, or use the Contact Us button at the bottom of the page "
    "to reach our support team."
)
EMPTY_REPLY = (
    "I didn't get any text there. Type your question in a few words, "
    'or say "hi" to see the topics I can help with.'
)
NO_WORDS_REPLY = (
    "I can only follow words, not emoji or symbols on their own. Tell me in a few words "
    'what\'s going on, use the buttons, or say "hi" to see the topics I can help with.'
)
TOO_LONG_REPLY = (
    f"That message is too long for me (more than {MAX_MESSAGE_CHARS:,} characters). "
    "Please tell me what's wrong in a sentence or two."
)

# A slash command exactly as a button sends it, optionally followed by what Rasa would
# read as a confidence and entities; only the intent is kept.
_SLASH_COMMAND = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*)(@[0-9.]*)?(\{.*\})?$", re.DOTALL)
_failures: contextvars.ContextVar[TurnFailures | None] = contextvars.ContextVar(
    "channel_turn_failures", default=None
)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass
class TurnFailures:
    """Errors Rasa logged while handling one message (collected per asyncio task)."""

    records: list[str] = field(default_factory=list)


class _FailureCollector(logging.Handler):
    """Notes errors logged by Rasa's action machinery against the turn being handled."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        failures = _failures.get()
        if failures is not None:
            failures.records.append(record.name)


class _WithoutActionPayload(logging.Filter):
    """Keeps the conversation out of Rasa's log when an action fails.

    When an action raises, the action server answers 500 with the whole request (the
    tracker: every message, typed codes, slots) and Rasa logs that body with the
    traceback. The record keeps its message and the exception's first line only.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            summary = (str(error).splitlines() or [""])[0].split(" body=")[0][:300]
            record.msg = f"{record.getMessage()} [{type(error).__name__}: {summary}]"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


_collector = _FailureCollector()
_without_payload = _WithoutActionPayload()


def _install_collector() -> None:
    # The loggers through which Rasa reports an action that could not be run.
    for name in private_api.LOGGERS:
        logger = logging.getLogger(name)
        if _collector not in logger.handlers:
            logger.addHandler(_collector)
        if _without_payload not in logger.filters:
            logger.addFilter(_without_payload)


def _clean(text: str) -> str:
    """Control characters become spaces (line breaks and tabs stay)."""
    return "".join(
        " " if unicodedata.category(char) == "Cc" and char not in "\n\t" else char for char in text
    ).strip()


@dataclass(frozen=True)
class Screened:
    """A message after screening: the text to hand to Rasa, or the reply to give instead."""

    text: str | None = None
    reply: str | None = None


def screen(raw: Any, known_intents: Collection[str] | None = None) -> Screened:
    """Decides what of a learner's message Rasa gets to see."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    if len(raw) > MAX_MESSAGE_CHARS:
        return Screened(reply=TOO_LONG_REPLY)
    text = _clean(raw)
    if not text:
        return Screened(reply=EMPTY_REPLY)
    if not any(unicodedata.category(char)[0] in "LN" for char in text):
        return Screened(reply=NO_WORDS_REPLY)
    if text.startswith("/"):
        command = _SLASH_COMMAND.match(text)
        intent = command.group(1) if command else None
        if intent and (known_intents is None or intent in known_intents):
            # Buttons only ever send "/intent"; entities typed after it are dropped so
            # slots cannot be set around the checks the actions make.
            return Screened(text=f"/{intent}")
        # Not a command we know: let NLU read it as words.
        text = text.lstrip("/").strip()
        if not text:
            return Screened(reply=EMPTY_REPLY)
    return Screened(text=text)


class MessageGuard:
    """Wraps the handler Rasa gives a channel with the screening and the apology."""

    def __init__(self, known_intents: Callable[[], Collection[str] | None]) -> None:
        self.known_intents = known_intents
        _install_collector()

    def wrap(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def guarded(message: UserMessage) -> None:
            await self.handle(message, on_new_message)

        return guarded

    async def handle(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        output = message.output_channel
        screened = screen(message.text, self.known_intents())
        if screened.reply is not None:
            await output.send_text_message(message.sender_id, screened.reply)
            return
        message.text = screened.text

        # Replies are held until the turn is over: a turn in which an action failed shows
        # only the apology, not the fallback Rasa predicts after the failed action.
        held: list[tuple[str, dict[str, Any]]] = []
        send_response = output.send_response

        async def holding_send_response(recipient_id: str, response: dict[str, Any]) -> None:
            held.append((recipient_id, response))

        output.send_response = holding_send_response  # type: ignore[method-assign]
        failures = TurnFailures()
        token = _failures.set(failures)
        try:
            await on_new_message(message)
        except Exception:
            logging.getLogger(__name__).exception("Handling a message failed.")
            failures.records.append(__name__)
        finally:
            _failures.reset(token)
            output.send_response = send_response  # type: ignore[method-assign]
        if failures.records or not held:
            await output.send_text_message(message.sender_id, TROUBLE_REPLY)
            return
        for recipient_id, response in held:
            await send_response(recipient_id, response)


def intents_of(app: Any) -> Collection[str] | None:
    """The intents of the loaded model's domain (None while no model is loaded)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    domain = getattr(agent, "domain", None)
    return set(domain.intents) if domain is not None else None
