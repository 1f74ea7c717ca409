"""The channel's rate limits in one server's memory: limits' own moving windows, with the
expired entries swept every few seconds instead of 10 ms after every hit."""

from __future__ import annotations

import time
from typing import Any

import pytest
from limits import parse

from rasa_addons.channels.guard import PER_SENDER_LIMITS, RateLimits, SweptMemoryStorage
from stack.processes import free_port


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> RateLimits:
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URL", "memory://")
    return RateLimits()


def test_a_conversation_is_held_back_after_its_burst(limits: RateLimits) -> None:
    assert isinstance(limits.storage, SweptMemoryStorage)
    burst = min(item.amount for item in PER_SENDER_LIMITS)
    assert all(limits.retry_after("one", "client-a") is None for _ in range(burst))
    wait = limits.retry_after("one", "client-a")
    assert wait is not None and 1 <= wait <= 11
    # Another conversation of another client is not held back by it.
    assert limits.retry_after("two", "client-b") is None


def test_expired_entries_are_swept_seconds_later_not_after_every_hit(limits: RateLimits) -> None:
    store: Any = limits.storage
    short = parse("5 per 1 second")
    for _ in range(3):
        limits.limiter.hit(short, "sender", "one")
    assert store.timer.is_alive() and store.timer.daemon
    assert store.timer.interval == SweptMemoryStorage.SWEEP_EVERY_S
    time.sleep(1.1)
    store._MemoryStorage__expire_events()
    assert not any(store.events.values())
    assert limits.limiter.test(short, "sender", "one")


def test_limits_are_counted_in_memory_while_redis_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing listens at the Redis address: no message fails for it, and the limits
    still hold, counted by this process alone."""
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URL", f"redis://127.0.0.1:{free_port()}/1")
    limits = RateLimits()
    burst = min(item.amount for item in PER_SENDER_LIMITS)
    assert all(limits.retry_after("one", "client-a") is None for _ in range(burst))
    assert limits.retry_after("one", "client-a") is not None
