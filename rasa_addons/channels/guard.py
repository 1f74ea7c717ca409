"""What every channel does around Rasa's message handling.

Before anything else, a message over the rate limits of its conversation or of its client
(IPv4 address or IPv6 network) is refused without reaching Rasa, and whatever metadata the
client sent is replaced by an opaque client id (a keyed hash of that network) the actions
count by; a turn id the client sent becomes the message's id (rasa_addons/turns.py). Then
the message is screened: control characters are removed; empty messages, overlong ones and
ones without a single letter or digit (emoji, symbols) are answered here; typed slash
commands are reduced to what a button can send (`/intent`, no entities, no confidence).
After Rasa has handled it, a turn that produced no reply or in which an action failed
(action server down, crashed or answering with an error) gets only a short apology with a
way forward, so the learner never meets silence or a half turn.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import redis
from limits import RateLimitItem, parse_many, storage, strategies
from rasa.core.channels.channel import UserMessage

from common.clients import client_network
from rasa_addons import private_api
from rasa_addons.turns import adopt_turn_id, numbered

MAX_MESSAGE_CHARS = 2000
# Larger request bodies are refused (413) before they are read: a message is at most
# MAX_MESSAGE_CHARS characters, so 64 KB leaves room for any UTF-8 and JSON around it.
MAX_REQUEST_BYTES = 64 * 1024

# A person types a message every few seconds and clicks buttons a little faster, so one
# conversation is allowed a burst of 15 in 10 s but no more than 60 a minute: that stops a
# script driving one conversation. A client address may be a school or an office behind
# one NAT with several learners chatting at once, hence twice the burst and five
# conversations' worth a minute. Moving windows: a burst cannot be doubled at a boundary.
PER_SENDER_LIMITS = parse_many("15 per 10 seconds; 60 per minute")
PER_CLIENT_LIMITS = parse_many("30 per 10 seconds; 300 per minute")

# The socket.io acknowledgement of a message that went to a support agent, not the assistant.
HANDED_OVER_KEY = "to_agent"
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
RATE_LIMITED_REPLY = (
    "You're sending messages faster than I can read them. "
    "Please wait a few seconds and send your message again."
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
        # Not a command we know: NLU reads it as words. Slashes and spaces are stripped
        # until none leads, so "/ /inform{...}" cannot reach Rasa as a command.
        while text.startswith("/"):
            text = _clean(text.lstrip("/"))
        if not text:
            return Screened(reply=EMPTY_REPLY)
    return Screened(text=text)


@functools.cache
def secret_key(name: str) -> bytes:
    """The key in env `name`; unset, a random one for this process (ids made with it do not
    survive a restart and differ between replicas, hence the warning)."""
    value = os.environ.get(name)
    if value:
        return value.encode()
    logging.getLogger(__name__).warning("%s is not set: using a random key for this process.", name)
    return secrets.token_bytes(32)


@functools.cache
def _networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in (part.strip() for part in setting.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                logging.getLogger(__name__).warning("TRUSTED_PROXIES: %r is no address", entry)
    return tuple(networks)


def is_trusted_proxy(peer: str) -> bool:
    """Whether `peer` is a proxy whose X-Forwarded-For is believed: env TRUSTED_PROXIES,
    comma-separated addresses or networks (a Kubernetes ingress controller's pods have
    addresses from a network, not fixed ones)."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(os.environ.get("TRUSTED_PROXIES", "")))


def client_address(peer: str, forwarded_for: str | None) -> str:
    """The client's address: the peer, or the entry a trusted proxy appended for it (the
    right-most; the ones before it were sent by the client and can be anything)."""
    if forwarded_for and is_trusted_proxy(peer):
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        if entries:
            return entries[-1]
    return peer


def client_id(peer: str, forwarded_for: str | None) -> str:
    """The opaque id every limit counts a client by, and the only client fact a message
    carries: a keyed hash of its network, so no store or log holds a network address."""
    network = client_network(client_address(peer, forwarded_for))
    key = secret_key("CLIENT_ID_KEY")
    return hmac.new(key, network.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]


def sender_key(sender: str) -> str:
    """The key a conversation's rate limits count by: a keyed hash of its id, not the id.

    In the cluster the windows live in Redis for up to a minute after a message; with the
    conversation id as their key, `make forget` would leave it there. The hash keeps the
    limit (forgetting must not reset it, as in the account service) and names nobody.
    """
    key = hmac.new(secret_key("CLIENT_ID_KEY"), b"rate-limit-senders", hashlib.sha256).digest()
    return hmac.new(key, sender.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


class SweptMemoryStorage(storage.MemoryStorage):  # type: ignore[misc]
    """limits' in-memory storage, its expired window entries swept every few seconds
    instead of 10 ms after every hit. Each sweep reads every entry of every window: 6 ms
    with 6,000 entries, which at 50 messages/s took 40 % of a core in a thread of the Rasa
    server (measured), and grew with the conversations seen in the last minute. A window
    ignores its expired entries anyway; the sweep only frees their memory."""

    SWEEP_EVERY_S = 5.0

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()  # the first sweep, 10 ms away; the first hit schedules ours
        self.timer.join()

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            sweep = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(self.SWEEP_EVERY_S, sweep)
            self.timer.daemon = True
            self.timer.start()


class RateLimits:
    """Moving-window limits per conversation and per client id, kept in the storage named by
    env RATE_LIMIT_STORAGE_URL (one server: memory; replicas: a shared Redis). Both are
    counted by keyed hashes (`sender_key`, `client_id`): no window names a conversation or
    a network address.

    The storage calls are synchronous: in memory, or one round trip to a local Redis.
    While Redis cannot be reached (a restart), this process counts in memory of its own:
    the limits hold per replica instead of across them, and no message fails for it.
    """

    def __init__(self) -> None:
        url = os.environ.get("RATE_LIMIT_STORAGE_URL", "memory://")
        # The limiter holds its storage by a weak reference only.
        self.storage = (
            SweptMemoryStorage() if url == "memory://" else storage.storage_from_string(url)
        )
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.own_storage = self.storage
        self.own_limiter = self.limiter
        if url != "memory://":
            self.own_storage = SweptMemoryStorage()
            self.own_limiter = strategies.MovingWindowRateLimiter(self.own_storage)

    def retry_after(self, sender: str, client: str) -> int | None:
        """Counts a message; None if it may go through, else the seconds to wait."""
        try:
            return self._retry_after(self.limiter, sender, client)
        except (redis.ConnectionError, redis.TimeoutError):
            logging.getLogger(__name__).warning(
                "Redis unreachable: rate limits counted by this process alone."
            )
            return self._retry_after(self.own_limiter, sender, client)

    @staticmethod
    def _retry_after(
        limiter: strategies.MovingWindowRateLimiter, sender: str, client: str
    ) -> int | None:
        """Refused messages are not counted, so a client that keeps flooding is let in once
        it waits."""
        conversation = sender_key(sender)
        checks: list[tuple[RateLimitItem, str, str]] = [
            *((item, "sender", conversation) for item in PER_SENDER_LIMITS),
            *((item, "client", client) for item in PER_CLIENT_LIMITS),
        ]
        for item, kind, key in checks:
            if not limiter.test(item, kind, key):
                reset, _ = limiter.get_window_stats(item, kind, key)
                # limits gives the window's start in whole seconds, up to 1 s early.
                return max(1, math.ceil(reset + 1 - time.time()))
        for item, kind, key in checks:
            limiter.hit(item, kind, key)
        return None


@functools.cache
def rate_limits() -> RateLimits:
    """One set of limits per process, whichever channel a message comes through."""
    return RateLimits()


class MessageGuard:
    """Wraps the handler Rasa gives a channel with the screening and the apology."""

    def __init__(self) -> None:
        self.app: Any = None
        self.rate_limits = rate_limits()
        _install_collector()

    def bind(self, app: Any) -> None:
        """Called before the server starts: the app gives the model's intents, and its
        connections are created with the body size limit set here."""
        self.app = app
        app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    def known_intents(self) -> Collection[str] | None:
        """The intents of the loaded model's domain (None while no model is loaded)."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        domain = getattr(agent, "domain", None)
        return set(domain.intents) if domain is not None else None

    async def handed_over(self, sender_id: str) -> bool:
        """True while a support agent has the conversation (Rasa's paused conversation)."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        tracker_store = getattr(agent, "tracker_store", None)
        if tracker_store is None:
            return False
        tracker = await tracker_store.retrieve(sender_id)
        return tracker is not None and tracker.is_paused()

    def wrap(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def guarded(message: UserMessage) -> None:
            await self.handle(message, on_new_message)

        return guarded

    async def handle(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        output = message.output_channel
        turn = adopt_turn_id(message)
        # socket.io sends each reply as one event (Rasa's SocketIOOutput._send_message).
        emit = getattr(output, "_send_message", None)
        if turn is not None and emit is not None:
            output._send_message = numbered(emit, turn)  # type: ignore[attr-defined]
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
        if not failures.records and not held and await self.handed_over(message.sender_id):
            # A support agent has the conversation: the message is theirs to answer (the
            # console shows it). The widget is told it arrived, so it stops waiting.
            acknowledge = getattr(output, "_send_message", None)
            if acknowledge is not None:
                await acknowledge(message.sender_id, {HANDED_OVER_KEY: True})
            return
        if failures.records or not held:
            await output.send_text_message(message.sender_id, TROUBLE_REPLY)
            return
        for recipient_id, response in held:
            await send_response(recipient_id, response)
