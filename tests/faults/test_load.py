"""Fifty learners at once, ten turns each: every turn answered, every event stored."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import aiohttp

from channels.guard import TROUBLE_REPLY
from stack.processes import Stack
from tests.stack_fixtures import tracker_events

CONVERSATIONS = 50


def script(number: int) -> list[str]:
    return [
        "hi",
        "I can't log in",
        "no, still stuck",
        "no",
        f"my email is load.{number}@example.org",
        "no, just show me the steps",
        "no",
        "thanks",
        "my courses are missing",
        "bye",
    ]


def count_events(stack: Stack) -> int:
    with sqlite3.connect(stack.config.tracker_db) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM events").fetchone()[0])


async def converse(
    session: aiohttp.ClientSession, url: str, sender: str, turns: list[str]
) -> list[list[dict[str, Any]]]:
    answers = []
    for text in turns:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            assert response.status == 200, (sender, text, response.status)
            answers.append(await response.json())
    return answers


async def test_fifty_concurrent_conversations(stack: Stack) -> None:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    senders = [f"load-{number}-{id(stack)}" for number in range(CONVERSATIONS)]
    before = count_events(stack)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        results = await asyncio.gather(
            *(
                converse(session, url, sender, script(number))
                for number, sender in enumerate(senders)
            )
        )
    after = count_events(stack)

    stored_total = 0
    for sender, answers in zip(senders, results, strict=True):
        assert len(answers) == 10
        for answer in answers:
            texts = [message.get("text") or "" for message in answer]
            assert texts and all(text.strip() for text in texts), (sender, answer)
            assert TROUBLE_REPLY not in texts, sender
        events = tracker_events(stack.config.tracker_db, sender)
        stored_total += len(events)
        kinds = [kind for kind, _ in events]
        assert kinds.count("user") == 10, sender
        # Every bot message the learner saw is in the tracker store.
        assert kinds.count("bot") == sum(len(answer) for answer in answers), sender
    assert after - before == stored_total
