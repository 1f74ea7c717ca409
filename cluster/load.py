"""Many learners talking at once over REST: used by the benchmark and the failover test."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from stack.learner import AsyncRestLearner, Endpoints, Refused, Reply, failed_turn, new_sender

# A short conversation that goes through NLU, rules and a custom action on most turns.
SCRIPT = (
    "hello",
    "I can't log in to my account",
    "no",
    "no",
    "thanks",
    "bye",
)


@dataclass
class LoadResult:
    """What the learners saw: answered turns, failed requests, and what each of them sent."""

    turns: int = 0
    failed_requests: int = 0
    empty_replies: int = 0
    latencies: list[float] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)
    unanswered: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def failed(self, error: str) -> None:
        self.failed_requests += 1
        self.errors[error] = self.errors.get(error, 0) + 1

    def summary(self) -> dict[str, Any]:
        return {
            "conversations": len(self.sent),
            "answered_turns": self.turns,
            "failed_requests": self.failed_requests,
            "empty_replies": self.empty_replies,
            "unanswered_turns": sum(len(texts) for texts in self.unanswered.values()),
            "seconds": round(self.seconds, 1),
            "turns_per_second": round(self.turns / self.seconds, 2) if self.seconds else 0.0,
            "latency_p50_s": round(self.percentile(0.5), 3),
            "latency_p95_s": round(self.percentile(0.95), 3),
            "errors": dict(self.errors),
        }


async def _say(learner: AsyncRestLearner, text: str, result: LoadResult) -> list[Reply] | None:
    started = time.monotonic()
    try:
        replies = await learner.replies_to(text)
    except Refused as refused:
        result.failed(f"HTTP {refused.status}")
        return None
    except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as problem:
        result.failed(type(problem).__name__)
        return None
    failure = failed_turn(replies)
    if failure is not None:
        # The channels promise an answer to every message, an apology at worst: an empty
        # answer, the apology or the account service's outage line all mean the turn was
        # not served, so it counts as failed and is sent again.
        if failure == "empty":
            result.empty_replies += 1
        result.failed(f"{failure} reply")
        return None
    result.latencies.append(time.monotonic() - started)
    result.turns += 1
    return replies


async def _learner(
    session: aiohttp.ClientSession,
    rasa: Endpoints,
    result: LoadResult,
    stop: Callable[[], bool],
    one_conversation: bool,
    pause: float,
    retries: int,
    min_turns: int,
) -> None:
    learner = AsyncRestLearner(session, rasa, new_sender("load"))
    turn = 0
    while turn < min_turns or not stop():
        text = SCRIPT[turn % len(SCRIPT)]
        if not one_conversation and turn and turn % len(SCRIPT) == 0:
            learner = AsyncRestLearner(session, rasa, new_sender("load"))
        result.sent.setdefault(learner.sender, []).append(text)
        for attempt in range(retries + 1):
            if await _say(learner, text, result) is not None:
                break
            if attempt == retries:
                result.unanswered.setdefault(learner.sender, []).append(text)
            else:
                await asyncio.sleep(1.0)
        turn += 1
        if pause:
            await asyncio.sleep(pause)


async def drive(
    rasa_url: str,
    concurrency: int,
    stop: Callable[[], bool],
    *,
    one_conversation: bool = False,
    pause: float = 0.0,
    retries: int = 0,
    min_turns: int = 0,
    timeout: float = 120.0,
) -> LoadResult:
    """`concurrency` learners talk to the Rasa server at `rasa_url` (over REST) until `stop()`.

    With `one_conversation` each learner keeps one sender id for the whole run (the failover
    test); otherwise each learner starts a new conversation after every pass of the script.
    A failed request is retried `retries` times, after a second each, before giving up.
    """
    result = LoadResult()
    rasa = Endpoints(rasa_url)
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        await asyncio.gather(
            *(
                _learner(session, rasa, result, stop, one_conversation, pause, retries, min_turns)
                for _ in range(concurrency)
            )
        )
    result.seconds = time.monotonic() - started
    return result


def read_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return report if isinstance(report, dict) else {}


def update_report(path: Path, key: str, value: Any) -> None:
    """reports/cluster.json holds one section per producer (benchmark, failover test)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = read_report(path)
    report[key] = value
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
