"""The renewed Redis ticket lock against a real Redis: a dead holder's ticket goes within its
lifetime, a live holder keeps the conversation however long it takes, tickets issued
from several replicas at once are neither lost nor doubled, and a Redis restart costs a
message a wait, not the apology."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from rasa_addons.lock_store import RenewedRedisLockStore
from stack.supervisor import Supervisor
from tests.support.redis import supervised_redis

LIFETIME = 1.0


def replica(port: int, lifetime: float = LIFETIME) -> RenewedRedisLockStore:
    """One replica's lock store (each replica has its own connection)."""
    config = EndpointConfig(
        url="127.0.0.1", port=port, db=0, key_prefix="test", ticket_lifetime=lifetime
    )
    return RenewedRedisLockStore(config)


def conversation() -> str:
    return f"conversation-{uuid.uuid4().hex[:8]}"


async def test_a_dead_replicas_ticket_expires_within_its_lifetime(redis_port: int) -> None:
    dead, alive = replica(redis_port), replica(redis_port)
    sender = conversation()
    before = time.time()
    number = dead.issue_ticket(sender)  # taken, then never renewed nor returned: it died
    lock = dead.get_lock(sender)
    assert lock is not None
    expires = next(ticket.expires for ticket in lock.tickets if ticket.number == number)
    assert expires <= time.time() + LIFETIME and expires >= before + LIFETIME
    async with alive.lock(sender):
        entered = time.time()
    assert entered >= expires  # the live replica waited for the dead ticket, and got in
    assert alive.get_lock(sender) is None


def test_a_dead_replicas_lock_key_expires_with_its_ticket(redis_port: int) -> None:
    """Nothing of the conversation (its id names the key) stays in Redis after a crash."""
    # A lifetime no pause of a busy machine reaches: the key must be there, expiring.
    lifetime = 60.0
    dead = replica(redis_port, lifetime)
    sender = conversation()
    dead.issue_ticket(sender)
    left_ms = dead.red.pttl(dead.key_prefix + sender)
    assert 0 < left_ms <= (lifetime + 1) * 1000


async def test_a_live_holder_keeps_the_conversation_longer_than_the_lifetime(
    redis_port: int,
) -> None:
    first, second = replica(redis_port), replica(redis_port)
    sender = conversation()
    order: list[str] = []

    async def slow_turn() -> None:
        async with first.lock(sender):
            order.append("first in")
            await asyncio.sleep(LIFETIME * 3)
            order.append("first out")

    async def next_turn() -> None:
        await asyncio.sleep(0.2)
        async with second.lock(sender):
            order.append("second in")

    await asyncio.gather(slow_turn(), next_turn())
    assert order == ["first in", "first out", "second in"]


@pytest.mark.parametrize("replicas", [2, 4])
def test_tickets_issued_at_once_from_several_replicas_are_all_kept(
    redis_port: int, replicas: int
) -> None:
    stores = [replica(redis_port) for _ in range(replicas)]
    sender = conversation()
    issued: list[int] = []
    barrier = threading.Barrier(replicas)

    def issue(store: RenewedRedisLockStore) -> None:
        barrier.wait()
        for _ in range(25):
            issued.append(store.issue_ticket(sender))

    threads = [threading.Thread(target=issue, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lock = stores[0].get_lock(sender)
    assert lock is not None
    assert len(issued) == len(set(issued)) == 25 * replicas
    assert sorted(ticket.number for ticket in lock.tickets) == sorted(issued)
    for number in issued:
        stores[0].cleanup(sender, number)
    assert stores[0].get_lock(sender) is None


@pytest.fixture
def restartable_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Supervisor]]:
    with supervised_redis(tmp_path_factory.mktemp("restarted-redis")) as running:
        yield running


def back_after(supervisor: Supervisor, seconds: float) -> threading.Thread:
    """Stops Redis now and starts it again `seconds` later, in the background."""
    supervisor.stop("redis")

    def start_later() -> None:
        time.sleep(seconds)
        supervisor.start("redis")

    restart = threading.Thread(target=start_later)
    restart.start()
    return restart


async def test_a_message_that_holds_its_ticket_while_redis_restarts_ends_normally(
    restartable_redis: tuple[int, Supervisor],
) -> None:
    """Before, returning the ticket raised, and the handled message got the apology."""
    port, supervisor = restartable_redis
    store, sender = replica(port), conversation()
    async with store.lock(sender):
        restart = await asyncio.to_thread(back_after, supervisor, 0.5)
    await asyncio.to_thread(restart.join)
    async with store.lock(sender):  # the conversation is not held by a lost ticket
        pass
    assert store.get_lock(sender) is None


async def test_a_message_that_comes_while_redis_restarts_gets_its_ticket_after(
    restartable_redis: tuple[int, Supervisor],
) -> None:
    port, supervisor = restartable_redis
    store, sender = replica(port), conversation()
    restart = await asyncio.to_thread(back_after, supervisor, 0.5)
    async with store.lock(sender) as lock:
        assert lock.conversation_id == sender
    await asyncio.to_thread(restart.join)
    assert store.get_lock(sender) is None


async def test_a_message_gives_up_when_redis_stays_away(
    restartable_redis: tuple[int, Supervisor],
) -> None:
    """Rasa's error then, as before (the channel answers with the apology), after the
    waits of REDIS_RETRY_WAITS: an outage is not hidden."""
    port, supervisor = restartable_redis
    store, sender = replica(port), conversation()
    supervisor.stop("redis")
    try:
        with pytest.raises(redis.ConnectionError):
            async with store.lock(sender):
                pass
    finally:
        supervisor.start("redis")
