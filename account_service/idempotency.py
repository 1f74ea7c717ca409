"""Idempotency keys: a request that changes something, sent again, is performed once.

When a Rasa replica or an action server dies mid-turn, the turn is handled again and its
action repeats its call with the same `Idempotency-Key` (derived from the turn). The first
answer (status, body, Retry-After) is kept for a day, as the limit events are, and a repeat
gets exactly that answer with nothing done again: no second mail, ticket or counted limit.
A repeat therefore tells no more about an address than the first answer did. Copies that
arrive together are serialized by one lock per key (the service is one asyncio process):
the later one waits and gets the first one's answer. A 5xx answer is not kept, so that a
retry can still succeed.

Rows are found by a hash of the key, and the body is sealed with a key derived from it: a
code check's answer carries a verification token, which the service otherwise keeps only
hashed, so the database alone gives no token back.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import weakref
from collections.abc import Awaitable, Callable

from aiohttp import web
from cryptography.fernet import Fernet

from account_service.storage import DAY_SECONDS, Clock, Storage, StoredAnswer

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Runs a handler and turns what it raises into the service's fixed JSON answers.
Answer = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def _digest(*parts: bytes) -> bytes:
    """SHA-256 of the parts, each prefixed with its length so no two splits collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


def _seal(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_digest(b"seal", key.encode())))


def _conversation_of(body: bytes) -> str | None:
    """The body's conversation id, which "forget" deletes the kept answer by."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get("conversation_id") if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


class Idempotency:
    """Wraps the handlers of the routes that change something (see `once`)."""

    def __init__(self, storage: Storage, clock: Clock, answer: Answer) -> None:
        self._storage = storage
        self._clock = clock
        self._answer = answer
        # A lock lives while a request for its key holds or waits for it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def once(self, handler: Handler) -> Handler:
        """`handler`, performed at most once per idempotency key; without one, as it is.

        A body without a conversation id is passed on unkept: the handler refuses it anyway.
        """

        async def performed_once(request: web.Request) -> web.StreamResponse:
            key = request.headers.get(HEADER)
            if key is None:
                return await handler(request)
            if not 0 < len(key) <= MAX_KEY_LENGTH:
                return web.json_response({"error": "bad_request"}, status=400)
            body = await request.read()  # kept by aiohttp for the handler's own read
            conversation_id = _conversation_of(body)
            if conversation_id is None:
                return await handler(request)
            key_hash = _digest(b"key", key.encode()).hex()
            request_hash = _digest(request.method.encode(), request.path.encode(), body).hex()
            async with self._locks.setdefault(key_hash, asyncio.Lock()):
                kept = self._storage.stored_answer(key_hash, self._clock() - DAY_SECONDS)
                if kept is not None:
                    return self._replay(kept, key, request_hash)
                response = await self._answer(request, handler)
                if response.status < 500 and isinstance(response, web.Response):
                    self._keep(response, key, key_hash, request_hash, conversation_id)
                return response

        return performed_once

    def _keep(
        self,
        response: web.Response,
        key: str,
        key_hash: str,
        request_hash: str,
        conversation_id: str,
    ) -> None:
        answer = StoredAnswer(
            request_hash=request_hash,
            status=response.status,
            sealed_body=_seal(key).encrypt((response.text or "").encode()),
            retry_after=response.headers.get("Retry-After"),
        )
        self._storage.store_answer(key_hash, answer, conversation_id, self._clock())

    @staticmethod
    def _replay(kept: StoredAnswer, key: str, request_hash: str) -> web.Response:
        """The first answer again; 422 when the key came with another request."""
        if kept.request_hash != request_hash:
            return web.json_response({"error": "idempotency_key_reused"}, status=422)
        headers = {} if kept.retry_after is None else {"Retry-After": kept.retry_after}
        return web.json_response(
            text=_seal(key).decrypt(kept.sealed_body).decode(),
            status=kept.status,
            headers=headers,
        )
