"""Many learners talking at once over REST, for the cluster benchmark."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from stack.learner import AsyncRestLearner, Endpoints, Refused, failed_turn, new_sender

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
            "seconds": round(self.seconds, 1),
            "turns_per_second": round(self.turns / self.seconds, 2) if self.seconds else 0.0,
            "latency_p50_s": round(self.percentile(0.5), 3),
            "latency_p95_s": round(self.percentile(0.95), 3),
            "errors": dict(self.errors),
        }


async def _say(learner: AsyncRestLearner, text: str, result: LoadResult) -> None:
    started = time.monotonic()
    try:
        replies = await learner.replies_to(text)
    except Refused as refused:
        result.failed(f"HTTP {refused.status}")
        return
    except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as problem:
        result.failed(type(problem).__name__)
        return
    failure = failed_turn(replies)
    if failure is not None:
        # The channels promise an answer to every message, an apology at worst: an empty
        # answer, the apology or the account service's outage line all mean the turn was
        # not served, so it counts as failed.
        if failure == "empty":
            result.empty_replies += 1
        result.failed(f"{failure} reply")
        return
    result.latencies.append(time.monotonic() - started)
    result.turns += 1


async def _learner(
    session: aiohttp.ClientSession, rasa: Endpoints, result: LoadResult, stop: Callable[[], bool]
) -> None:
    """Goes through the script again and again, a new conversation each pass."""
    learner = AsyncRestLearner(session, rasa, new_sender("load"))
    turn = 0
    while not stop():
        text = SCRIPT[turn % len(SCRIPT)]
        if turn and turn % len(SCRIPT) == 0:
            learner = AsyncRestLearner(session, rasa, new_sender("load"))
        result.sent.setdefault(learner.sender, []).append(text)
        await _say(learner, text, result)
        turn += 1


async def drive(
    rasa_url: str, concurrency: int, stop: Callable[[], bool], timeout: float = 120.0
) -> LoadResult:
    """`concurrency` learners talk to the Rasa server at `rasa_url` (over REST) until `stop()`."""
    result = LoadResult()
    rasa = Endpoints(rasa_url)
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        await asyncio.gather(*(_learner(session, rasa, result, stop) for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


def read_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return report if isinstance(report, dict) else {}


def update_report(path: Path, key: str, value: Any) -> None:
    """reports/cluster.json holds one section per producer (the benchmark and its history)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = read_report(path)
    report[key] = value
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
