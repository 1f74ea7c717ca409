"""Parses messages with a trained model, in-process, holding the heavy lock."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from training.lock import heavy_lock


def predict(model: str, texts: list[str]) -> list[dict[str, Any]]:
    """Parses each text; returns top intent (ignoring the fallback), ranking, entities, time."""
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    async def parse_all() -> list[dict[str, Any]]:
        results = []
        for text in texts:
            started = time.perf_counter()
            parsed = await agent.parse_message(text)
            elapsed = time.perf_counter() - started
            ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            top: dict[str, Any] = ranking[0] if ranking else {"name": None, "confidence": 0.0}
            results.append(
                {
                    "text": text,
                    "predicted": top["name"],
                    "confidence": float(top["confidence"]),
                    "runner_up": ranking[1]["name"] if len(ranking) > 1 else None,
                    "entities": [
                        (e["start"], e["end"], e["entity"]) for e in parsed.get("entities", [])
                    ],
                    "seconds": elapsed,
                }
            )
        return results

    with heavy_lock():
        return asyncio.run(parse_all())
