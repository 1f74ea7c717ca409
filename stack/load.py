"""The one load driver: simulated learners talk to the assistant over REST, each through
whole conversations, at a fixed concurrency, and every turn is counted (served, failed, or
answered with the apology or the outage line: a failed turn).

The load benchmark (bench/server.py) gives it its personas' scripts
(bench/conversations.py); the cluster benchmark (bench/cluster.py) one short script again
and again (`OneScript`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import aiohttp

from stack.learner import Assistant, AsyncRestLearner, failed_turn, new_sender, reply_texts

TURN_TIMEOUT = 60.0
# Replies that mean the assistant did not understand (counted, not treated as errors).
FALLBACK_MARKERS = ("Did you mean one of these", "rephrase", "didn't quite get")


class ScriptedLearner(Protocol):
    """One conversation's learner: who it is and what it says ({code}: the mailed code)."""

    sender: str
    email: str
    turns: list[str]

    def render(self, turn: str) -> str: ...


L = TypeVar("L", bound=ScriptedLearner)


class LearnerSource(Protocol[L]):
    """Hands out the next learner, and takes it back when its conversation is over."""

    def next(self) -> L: ...

    def done(self, learner: L) -> None: ...


@dataclass
class Scripted:
    sender: str
    turns: list[str]
    email: str = ""

    def render(self, turn: str) -> str:
        return turn


class OneScript:
    """The same lines in every conversation, each conversation a new sender."""

    def __init__(self, lines: tuple[str, ...], prefix: str = "load") -> None:
        self.lines = lines
        self.prefix = prefix

    def next(self) -> Scripted:
        return Scripted(new_sender(self.prefix), list(self.lines))

    def done(self, learner: Scripted) -> None:
        pass


@dataclass
class LevelResult:
    concurrency: int
    duration_s: float = 0.0
    turns: int = 0
    conversations: int = 0
    errors: int = 0
    empty_replies: int = 0
    fallback_replies: int = 0
    codes_missing: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        from statistics import quantiles

        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float | None:
            if not lat:
                return None
            if len(lat) == 1:
                return round(lat[0], 1)
            return round(quantiles(lat, n=1000, method="inclusive")[int(p * 10) - 1], 1)

        return {
            "concurrency": self.concurrency,
            "duration_s": round(self.duration_s, 2),
            "turns": self.turns,
            "conversations_finished": self.conversations,
            "turns_per_s": round(self.turns / self.duration_s, 2) if self.duration_s else 0.0,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "mean_ms": round(sum(lat) / len(lat), 1) if lat else None,
            "max_ms": round(lat[-1], 1) if lat else None,
            "errors": self.errors,
            "empty_replies": self.empty_replies,
            "fallback_replies": self.fallback_replies,
            "codes_missing": self.codes_missing,
            "error_samples": self.error_samples[:5],
        }


class Driver(Generic[L]):
    def __init__(self, assistant: Assistant, factory: LearnerSource[L]):
        self.assistant = assistant
        self.factory = factory

    def chat(self, session: aiohttp.ClientSession, sender: str) -> AsyncRestLearner:
        """The REST side of a scripted learner: its turns and its outbox."""
        return AsyncRestLearner(session, self.assistant, sender)

    async def turn(
        self, session: aiohttp.ClientSession, sender: str, text: str, result: LevelResult
    ) -> None:
        chat = self.chat(session, sender)
        started = time.perf_counter()
        try:
            replies = await chat.replies_to(text)
        except Exception as error:  # every failure of a turn counts, whatever it is
            result.errors += 1
            result.error_samples.append(f"{type(error).__name__}: {error}"[:200])
            return
        failure = failed_turn(replies)
        if failure == "empty":
            result.empty_replies += 1
            return
        if failure is not None:  # an apology or the outage line: answered, not served
            result.errors += 1
            result.error_samples.append(f"failed turn: {failure}")
            return
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.turns += 1
        texts = reply_texts(replies)
        if any(marker in t for t in texts for marker in FALLBACK_MARKERS):
            result.fallback_replies += 1

    async def learner_loop(
        self, session: aiohttp.ClientSession, stop: Callable[[], bool], result: LevelResult
    ) -> None:
        while not stop():
            learner = self.factory.next()
            try:
                for template in learner.turns:
                    if stop():
                        return
                    text = learner.render(template)
                    if "{code}" in text:
                        code = None
                        try:
                            chat = self.chat(session, learner.sender)
                            code = await chat.latest_code(learner.email)
                        except Exception as error:
                            result.errors += 1
                            result.error_samples.append(f"outbox: {error}"[:200])
                        if code is None:
                            result.codes_missing += 1
                        text = text.replace("{code}", code or "123456")
                    await self.turn(session, learner.sender, text, result)
                else:
                    result.conversations += 1
            finally:
                self.factory.done(learner)

    async def run_level(self, concurrency: int, seconds: float) -> LevelResult:
        result = LevelResult(concurrency)
        timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT)
        connector = aiohttp.TCPConnector(limit=concurrency + 10)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(
                *(
                    self.learner_loop(session, lambda: time.perf_counter() >= deadline, result)
                    for _ in range(concurrency)
                )
            )
            result.duration_s = time.perf_counter() - started
        return result
