"""Drives simulated learners through whole conversations at a fixed concurrency."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.conversations import LearnerFactory
from stack.learner import AsyncRestLearner, Endpoints, failed_turn, reply_texts

TURN_TIMEOUT = 60.0
# Replies that mean the assistant did not understand (counted, not treated as errors).
FALLBACK_MARKERS = ("Did you mean", "rephrase", "didn't quite get", "didn't understand")


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


class Driver:
    def __init__(self, rasa_url: str, account_url: str, api_key: str, factory: LearnerFactory):
        self.assistant = Endpoints(rasa_url, account_url, api_key)
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
        self, session: aiohttp.ClientSession, deadline: float, result: LevelResult
    ) -> None:
        while time.perf_counter() < deadline:
            learner = self.factory.next()
            try:
                for template in learner.turns:
                    if time.perf_counter() >= deadline:
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
                *(self.learner_loop(session, deadline, result) for _ in range(concurrency))
            )
            result.duration_s = time.perf_counter() - started
        return result
