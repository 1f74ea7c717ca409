"""Rasa's Redis ticket lock, with tickets that live seconds and are renewed by their holder.

Rasa gives each message of a conversation a ticket in Redis that lives a fixed time
(TICKET_LOCK_LIFETIME, 60 s by default) and handles the conversation's messages in ticket
order. A replica killed while it holds a ticket blocks that conversation on every other
replica until the ticket expires, so a message nginx passed on to the surviving replica
waited that long. Here a ticket lives `ticket_lifetime` seconds (endpoints.yml, default 3)
and the replica renews it every `ticket_lifetime / 3` seconds while its message waits or
is handled: a live holder keeps its place however long the turn takes, a dead one's ticket
is gone within the lifetime.

Rasa also reads, changes and writes a conversation's lock without a transaction, so two
replicas issuing or returning tickets at the same moment can overwrite each other: a lost
ticket lets two messages of one conversation run at once, a resurrected one blocks the
conversation until it expires. Every change here is one Redis transaction (WATCH/MULTI),
done again when another replica changed the lock in between.

Redis restarting (a fraction of a second) made a message fail with the apology although
it had been handled: returning its ticket raised (reports/hosts.md). Taking, waiting for
and returning a ticket are now tried again while Redis cannot be reached, for up to
about 3 s; a ticket that still cannot be returned is left to expire (it is no longer
renewed), and a renewal that fails is tried again at the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_TICKET_LIFETIME = 3.0
# How often a waiting message looks whether its turn has come (Rasa: every second).
POLL_SECONDS = 0.1
# Waits before each new try while Redis cannot be reached (a restart: well under 1 s).
REDIS_RETRY_WAITS = (0.1, 0.2, 0.4, 0.8, 1.6)
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)

Result = TypeVar("Result")


async def retried_while_unreachable(call: Callable[[], Any]) -> Any:
    """`call()` (awaited if it gives an awaitable), made again after each of
    REDIS_RETRY_WAITS while Redis is unreachable; the last try's error is raised."""

    async def once() -> Any:
        result = call()
        return await result if inspect.isawaitable(result) else result

    for wait in REDIS_RETRY_WAITS:
        try:
            return await once()
        except UNREACHABLE:
            await asyncio.sleep(wait)
    return await once()


class RenewedRedisLockStore(RedisLockStore):
    """`lock_store: type: rasa_addons.lock_store.RenewedRedisLockStore` with Rasa's Redis
    settings (url, port, db, password, key_prefix, ...) and optionally `ticket_lifetime`."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        settings = dict(endpoint_config.kwargs)
        self.ticket_lifetime = float(settings.pop("ticket_lifetime", DEFAULT_TICKET_LIFETIME))
        super().__init__(host=endpoint_config.url or "localhost", **settings)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Result]) -> Result:
        """Applies `change` to the conversation's lock in one transaction; a lock left
        without tickets is deleted, and one with tickets lives only as long as they do."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = (
                        TicketLock.from_dict(json.loads(stored))
                        if stored
                        else TicketLock(conversation_id)
                    )
                    result = change(lock)
                    pipe.multi()
                    if lock.tickets:
                        # The key expires with its last ticket (and a second to spare), so
                        # a replica killed while holding one leaves nothing behind.
                        last = max(ticket.expires for ticket in lock.tickets)
                        pipe.set(key, lock.dumps(), px=int((last - time.time() + 1) * 1000))
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = 0) -> int:
        """A ticket of `ticket_lifetime` (Rasa's `lock_lifetime` is not used: renewal keeps
        a ticket as long as it is needed)."""
        return self._change(conversation_id, lambda lock: lock.issue_ticket(self.ticket_lifetime))

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, TicketLock.remove_expired_tickets)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Returns the ticket; the lock goes with its last ticket."""
        self.finish_serving(conversation_id, ticket_number)

    def renew(self, conversation_id: str, ticket_number: int) -> bool:
        """Extends the ticket's life; False if it is gone (it expired unrenewed)."""

        def extend(lock: TicketLock) -> bool:
            for ticket in lock.tickets:
                if ticket.number == ticket_number:
                    ticket.expires = max(ticket.expires, time.time() + self.ticket_lifetime)
                    return True
            return False

        return self._change(conversation_id, extend)

    async def _keep_renewing(self, conversation_id: str, ticket_number: int) -> None:
        while True:
            await asyncio.sleep(self.ticket_lifetime / 3)
            try:
                renewed = self.renew(conversation_id, ticket_number)
            except UNREACHABLE:
                logger.warning("Redis unreachable: the ticket's renewal is tried again.")
                continue
            if not renewed:
                logger.warning(
                    "A ticket expired before it was renewed (conversation %s); the event "
                    "loop was blocked longer than the ticket lifetime.",
                    conversation_id,
                )
                return

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Rasa's wait for the ticket's turn, begun again if Redis was unreachable."""
        acquire = super()._acquire_lock
        lock: TicketLock = await retried_while_unreachable(
            lambda: acquire(conversation_id, ticket, wait_time_in_seconds)
        )
        return lock

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = 0,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, with the ticket renewed until it is returned."""
        ticket: int = await retried_while_unreachable(lambda: self.issue_ticket(conversation_id))
        renewing = asyncio.create_task(self._keep_renewing(conversation_id, ticket))
        try:
            yield await self._acquire_lock(
                conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS)
            )
        finally:
            renewing.cancel()
            try:
                await retried_while_unreachable(lambda: self.cleanup(conversation_id, ticket))
            except UNREACHABLE:
                # The message was handled; its ticket, no longer renewed, expires by itself.
                logger.warning("Redis unreachable: a ticket is left to expire.")
