"""Synthetic conversations for sizing the insights: rows exactly as Rasa writes them.

`python -m insights seed --db <file or URL> --conversations 50000` walks the article as the
stories do (a section's steps one after the other, each with "Did that work?"), with
learners who say yes, say no, switch section, ask for a person, leave, type unclear words
or go through the one-time code; every event has the columns and the JSON shape of Rasa's
SQL tracker store, so the measures cannot tell them from real ones. A fixed seed gives the
same rows every time. About 20 events a conversation: 50,000 make about a million.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from common.events_table import write_rows
from insights.article import Article, load

CHANNEL = "rest"
METADATA = {"model_id": "seeded", "assistant_id": "account-help"}
TOPIC_WEIGHTS = {
    "login": 30,
    "reset_password": 10,
    "account_not_found": 8,
    "recaptcha": 10,
    "email_verification": 10,
    "missing_courses": 12,
    "second_account": 4,
    "social_login": 4,
    "account_settings": 6,
    "sso": 6,
}
UNCLEAR = ("blorf quux", "the thing again", "grr it broke", "lost all my stuff", "hmm ok so")
GUESSES = ("goodbye", "out_of_scope", "affirm", "missing_courses", "cant_log_in")


@dataclass
class Conversation:
    """Builds one conversation's rows, with a clock that moves as a chat does."""

    sender: str
    clock: float
    rng: random.Random
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def _add(self, type_name: str, data: dict[str, Any], intent: str | None = None) -> None:
        self.clock += self.rng.uniform(0.0005, 0.004)
        data = {"event": type_name, "timestamp": self.clock, **data}
        self.rows.append(
            (self.sender, type_name, self.clock, intent, data.get("name"), json.dumps(data))
        )

    def start(self) -> None:
        self._add("slot", {"metadata": METADATA, "name": "session_started_metadata", "value": {}})
        self.action("action_session_start")
        self._add("session_started", {"metadata": METADATA})
        self.action("action_listen")

    def action(self, name: str) -> None:
        self._add(
            "action",
            {"metadata": METADATA, "name": name, "policy": "RulePolicy", "confidence": 1.0},
        )

    def bot(self, response: str, text: str = "") -> None:
        metadata = {"utter_action": response, **METADATA}
        self._add("bot", {"metadata": metadata, "text": text or response, "data": {}})

    def utter(self, response: str) -> None:
        self.action(response)
        self.bot(response)

    def slot(self, name: str, value: Any) -> None:
        self._add("slot", {"metadata": METADATA, "name": name, "value": value})

    def user(self, intent: str, text: str, confidence: float = 1.0) -> None:
        """A learner's message after a pause, read as `intent`."""
        self.clock += self.rng.uniform(3, 40)
        others = [name for name in GUESSES if name != intent][:3]
        ranking = [{"name": intent, "confidence": confidence}] + [
            {"name": name, "confidence": round((1 - confidence) / (i + 2), 4)}
            for i, name in enumerate(others)
        ]
        parse = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text,
            "message_id": uuid.UUID(int=self.rng.getrandbits(128)).hex,
            "metadata": {},
            "intent_ranking": ranking,
        }
        self._add(
            "user",
            {
                "metadata": {"client": "0" * 16, **METADATA},
                "text": text,
                "parse_data": parse,
                "input_channel": CHANNEL,
                "message_id": parse["message_id"],
            },
            intent=intent,
        )
        self._add("user_featurization", {"use_text_for_featurization": False})

    def listen(self) -> None:
        self.action("action_listen")


class Generator:
    """Walks sections the way the stories do, with learners who behave variously."""

    def __init__(self, article: Article, seed: int) -> None:
        self.article = article
        self.rng = random.Random(seed)
        self.intent_of = {topic: intent for intent, topic in article.topic_intents.items()}
        self.topics = [topic for topic in TOPIC_WEIGHTS if article.steps.get(topic)]
        self.weights = [TOPIC_WEIGHTS[topic] for topic in self.topics]

    def conversation(self, index: int, start: float, prefix: str) -> list[tuple[Any, ...]]:
        rng = self.rng
        chat = Conversation(f"{prefix}-{index:07d}", start, rng)
        chat.start()
        topic = rng.choices(self.topics, self.weights)[0]
        if rng.random() < 0.3:
            chat.user("greet", "hi")
            chat.utter("utter_greet")
            chat.listen()
        self.section(chat, topic, switches=1)
        return chat.rows

    def open_ticket(self, chat: Conversation) -> None:
        chat.action("action_hand_over")
        chat.bot("utter_ticket_opened_no_contact")
        chat.slot("ticket_id", f"CS-{self.rng.randint(100000, 999999)}")
        chat.listen()

    def code(self, chat: Conversation) -> None:
        """An address typed at a step: the code offer and how far it goes."""
        rng = self.rng
        chat.user("inform", f"learner{rng.randint(1, 99999)}@example.org", 0.99)
        chat.slot("email", "learner@example.org")
        chat.action("action_check_address")
        chat.slot("address_check", "ok")
        chat.utter("utter_offer_code")
        chat.listen()
        if rng.random() < 0.3:
            chat.user("deny", "/deny")
            chat.utter("utter_code_declined")
            return
        chat.user("affirm", "/affirm")
        chat.action("action_send_code")
        if rng.random() < 0.1:
            chat.bot("utter_code_limit")
            chat.slot("code_status", "limit")
            chat.listen()
            return
        chat.bot("utter_code_sent")
        chat.slot("code_status", "sent")
        chat.listen()
        roll = rng.random()
        chat.user("inform", f"{rng.randint(0, 999999):06d}", 0.99)
        chat.action("action_verify_code")
        if roll < 0.7:
            chat.bot("utter_code_verified")
            chat.slot("code_status", "verified")
            chat.slot("account_state", "password")
        elif roll < 0.85:
            chat.bot("utter_code_wrong")
            chat.slot("code_status", "wrong")
        elif roll < 0.93:
            chat.bot("utter_code_expired")
            chat.slot("code_status", "ended")
        else:
            chat.bot("utter_service_down")
            chat.slot("code_status", "unavailable")

    def section(self, chat: Conversation, topic: str, switches: int) -> None:
        rng = self.rng
        chat.user(self.intent_of[topic], f"/{self.intent_of[topic]}")
        chat.slot("topic", topic)
        steps = self.article.steps[topic]
        for number, step in enumerate(steps, start=1):
            chat.utter(step)
            last = number == len(steps)
            chat.utter("utter_did_this_solve" if last else "utter_did_that_work")
            chat.listen()
            if topic == "login" and number == 1 and rng.random() < 0.3:
                self.code(chat)
                continue  # then step 2, as the stories go on after the code
            roll = rng.random()
            # Later steps solve less often; a few learners leave or switch at every step.
            if roll < 0.45 / number:
                chat.user("affirm", rng.choice(("/affirm", "yes", "that worked, thanks")))
                chat.utter("utter_glad")
                chat.listen()
                return
            if roll < 0.55:
                chat.user("deny", rng.choice(("/deny", "no", "still stuck")))
                if last:
                    chat.utter("utter_offer_ticket")
                    chat.listen()
                    if rng.random() < 0.5:
                        chat.user("affirm", "/affirm")
                        self.open_ticket(chat)
                    else:
                        chat.user("deny", "/deny")
                        chat.utter("utter_anything_else")
                        chat.listen()
                continue
            if roll < 0.62 and switches:
                other = rng.choice([name for name in self.topics if name != topic])
                self.section(chat, other, switches - 1)
                return
            if roll < 0.67:
                chat.user("request_human", "can I talk to a person")
                self.open_ticket(chat)
                return
            if roll < 0.72:
                text = rng.choice(UNCLEAR)
                chat.user("nlu_fallback", text, 0.33)
                chat.action("action_two_stage_fallback")
                chat.bot("utter_did_you_mean")
                chat.listen()
                return
            if roll < 0.76:
                chat.user("deny", rng.choice(UNCLEAR), 0.42)  # read, but unsure
                continue
            return  # left without answering


def rows(
    conversations: int, days: int, seed: int, now: float | None = None, prefix: str = "seeded"
) -> Iterator[tuple[Any, ...]]:
    """Every event row of `conversations` conversations spread over the last `days` days."""
    generator = Generator(load(), seed)
    end = now if now is not None else time.time()
    span = days * 86400 - 3600  # the last one ends before `end`
    starts = sorted(
        end - span + generator.rng.random() * (span - 600) for _ in range(conversations)
    )
    for index, start in enumerate(starts):
        yield from generator.conversation(index, start, prefix)


def seed(
    engine: sa.engine.Engine,
    conversations: int,
    days: int = 28,
    seed: int = 7,
    batch: int = 20000,
    prefix: str = "seeded",
    now: float | None = None,
) -> int:
    """Adds the rows to the database's `events` table (created if missing); returns how many.
    The conversations end before `now` (default: the current time)."""
    return write_rows(engine, rows(conversations, days, seed, now=now, prefix=prefix), batch)
