"""The load benchmark in smoke mode: a few seconds of whole conversations at two levels.

It checks that the driver works against the real stack (every turn answered, codes read
from the outbox and accepted); no timing is asserted.
"""

from __future__ import annotations

import uuid

import aiohttp

from bench.cluster import SCRIPT as CLUSTER_SCRIPT
from bench.conversations import SCRIPTS, LearnerFactory
from stack.learner import Endpoints
from stack.load import Driver, LevelResult, OneScript
from stack.processes import Stack


async def test_smoke_run_has_no_errors_or_empty_replies(stack: Stack) -> None:
    config = stack.config
    tag = uuid.uuid4().hex[:8]
    # Made-up addresses only: the personas' hourly code allowance belongs to other tests.
    factory = LearnerFactory(f"smoke-{tag}", persona_every=10**9, address_tag=f"{tag}-")
    driver = Driver(config, factory)

    levels = [await driver.run_level(concurrency, 2.0) for concurrency in (1, 4)]

    for level in levels:
        summary = level.summary()
        assert summary["turns"] > 0
        assert summary["errors"] == 0, summary["error_samples"]
        assert summary["empty_replies"] == 0
        assert summary["codes_missing"] == 0
        assert summary["p50_ms"] is not None and summary["p99_ms"] is not None
    assert sum(level.conversations for level in levels) >= 2


async def test_turns_answered_with_the_apology_count_as_failed(stack: Stack) -> None:
    config = stack.config
    tag = uuid.uuid4().hex[:8]
    factory = LearnerFactory(f"down-{tag}", persona_every=10**9, address_tag=f"{tag}-")
    driver = Driver(config, factory)
    stack.supervisor.stop("action-server")
    try:
        level = await driver.run_level(2, 2.0)
    finally:
        stack.supervisor.start("action-server")
    summary = level.summary()
    assert summary["errors"] > 0
    assert any("apology" in sample for sample in summary["error_samples"]), summary


def test_every_script_is_a_whole_conversation() -> None:
    assert len(SCRIPTS) >= 12
    assert all(len(turns) >= 3 for turns in SCRIPTS.values())
    assert sum("{code}" in " ".join(turns) for turns in SCRIPTS.values()) >= 3


async def test_each_script_is_understood_to_its_end(stack: Stack) -> None:
    """The scripts follow the dialogue as it is: no turn misread, failed or unanswered."""
    tag = uuid.uuid4().hex[:8]
    factory = LearnerFactory(f"scripts-{tag}", persona_every=10**9, address_tag=f"{tag}-")
    driver = Driver(stack.config, factory)
    result = LevelResult(1)
    async with aiohttp.ClientSession() as session:
        await driver.learner_loop(session, lambda: result.conversations >= len(SCRIPTS), result)
    summary = result.summary()
    assert summary["conversations_finished"] == len(SCRIPTS)
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["fallback_replies"] == 0
    assert summary["codes_missing"] == 0


async def test_the_cluster_script_through_the_same_driver(stack: Stack) -> None:
    driver = Driver(Endpoints(stack.config.rasa_url), OneScript(CLUSTER_SCRIPT, "cluster-load"))
    summary = (await driver.run_level(2, 2.0)).summary()
    assert summary["turns"] > 0
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["empty_replies"] == 0
