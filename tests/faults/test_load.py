"""Fifty learners at once, ten turns each: every turn answered, every event stored."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import aiohttp

from common.events_table import learner_messages
from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import AsyncRestLearner, Reply, reply_texts, tracker_events
from stack.processes import Stack

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


async def converse(learner: AsyncRestLearner, turns: list[str]) -> list[list[Reply]]:
    return [await learner.replies_to(text) for text in turns]


async def test_fifty_concurrent_conversations(stack: Stack) -> None:
    senders = [f"load-{number}-{id(stack)}" for number in range(CONVERSATIONS)]
    before = count_events(stack)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        results = await asyncio.gather(
            *(
                converse(AsyncRestLearner(session, stack.config, sender), script(number))
                for number, sender in enumerate(senders)
            )
        )
    after = count_events(stack)

    stored_total = 0
    for sender, answers in zip(senders, results, strict=True):
        assert len(answers) == 10
        for answer in answers:
            texts = reply_texts(answer)
            assert texts and all(text.strip() for text in texts), (sender, answer)
            assert TROUBLE_REPLY not in texts, sender
        events = tracker_events(stack.config.tracker_db, sender)
        stored_total += len(events)
        kinds = [kind for kind, _ in events]
        users = [json.loads(data) for kind, data in events if kind == "user"]
        assert len(learner_messages(users)) == 10, sender
        # Every bot message the learner saw is in the tracker store.
        assert kinds.count("bot") == sum(len(answer) for answer in answers), sender
    assert after - before == stored_total
