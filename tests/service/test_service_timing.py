"""The mail endpoints take as long for a registered address as for an unregistered one, so
response times cannot be used to find out who has an account; with an idempotency key too,
whose answer is kept after the work."""

from __future__ import annotations

import random
import statistics
import time

import pytest
from scipy.stats import mannwhitneyu

from tests.support.service_fixtures import RunningService

# The registered address of each endpoint is one the service does write a mail for.
REGISTERED = {
    "/password-reset": "ana.silva@example.com",
    "/verification-email": "chloe.martin@outlook.com",
}
UNREGISTERED = "nobody.here@example.org"
REQUESTS = 200
DAY = 24 * 60 * 60


async def _timed(service: RunningService, path: str, email: str, index: int, keyed: bool) -> float:
    # A day apart, so every request is within the limits and does the full work.
    service.clock.advance(DAY)
    body = {"email": email, "conversation_id": f"timing-{index}", "client": f"{index:016x}"}
    headers = {"Idempotency-Key": f"timing-{index}"} if keyed else {}
    started = time.perf_counter()
    status, _ = await service.call("POST", path, json=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert status == 202
    return elapsed


async def _samples(
    service: RunningService, path: str, keyed: bool, first: int
) -> dict[str, list[float]]:
    """REQUESTS timings, half registered, in a shuffled order (ids from `first` on). In turn,
    every unregistered request would follow a registered one, whose mail is written after
    its answer: the test would measure its own order."""
    personas = ["registered", "unregistered"] * (REQUESTS // 2)
    random.Random(first).shuffle(personas)
    times: dict[str, list[float]] = {"registered": [], "unregistered": []}
    for index, persona in enumerate(personas, start=first):
        email = REGISTERED[path] if persona == "registered" else UNREGISTERED
        times[persona].append(await _timed(service, path, email, index, keyed))
    return times


def _indistinguishable(times: dict[str, list[float]]) -> bool:
    registered = statistics.median(times["registered"])
    unregistered = statistics.median(times["unregistered"])
    close = abs(registered - unregistered) <= 0.2 * min(registered, unregistered)
    return close and mannwhitneyu(times["registered"], times["unregistered"]).pvalue >= 0.01


@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "idempotency key"])
@pytest.mark.parametrize("path", sorted(REGISTERED))
async def test_registered_and_unregistered_take_the_same_time(
    account_service: RunningService, path: str, keyed: bool
) -> None:
    """A real difference shows in every sample; one sample in a hundred differs by chance
    at this threshold (or when the machine is busy), so a differing sample is taken again
    and the second one decides."""
    for index in range(10):  # warm up connections and caches
        await _timed(account_service, path, UNREGISTERED, 3 * REQUESTS + index, keyed)
    samples = [await _samples(account_service, path, keyed, 0)]
    if not _indistinguishable(samples[0]):
        samples.append(await _samples(account_service, path, keyed, REQUESTS))
        assert _indistinguishable(samples[1]), samples
    # The registered address did get its mail: the work was done, only later.
    mails = len(await account_service.outbox(REGISTERED[path]))
    assert mails == len(samples) * REQUESTS // 2
