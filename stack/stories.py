"""Test stories from the conversations: a path is written once, in
tests/conversations/<topic>.yml, and run both ways.

Played against the real stack, a conversation's tracker (what Rasa stored: the learner's
words with the intent and entities NLU read, the actions, the slots that steer) becomes a
Rasa test story in tests/stories/test_<topic>.yml, which `make story-test` runs end to end
with `rasa test core --e2e`. `make stories` writes the files;
tests/conversations/test_conversations.py fails when one is not what its conversation
gives now.

A story ends before the first turn with an action that takes turns out of the history
(going back to a step, a "no" in other words, a side question answered, Rasa's two-stage
fallback settling) or names the action after it (the rest of a walk, or a person): `rasa
test` doesn't run custom actions, so that turn and what follows exist only in the
conversation. A mailed code is written as
the same stand-in digits in every story, so the files don't change from run to run.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from stack.conversations import Conversation
from stack.processes import ROOT

STORIES = ROOT / "tests" / "stories"
# Actions Rasa runs in every turn; test stories leave them out.
NOT_IN_STORIES = frozenset({"action_listen", "action_session_start", "action_extract_slots"})
# Rasa's events for "take the latest turn(s) back", "take the latest action back" and
# "this action next": the story can't follow them.
STORY_ENDS = frozenset({"rewind", "undo", "followup"})
CODE = re.compile(r"\b\d{3} ?\d{3}\b")
STAND_IN_CODE = "482913"


@functools.cache
def steering_slots(domain_path: Path = ROOT / "domain.yml") -> frozenset[str]:
    """The slots that influence the conversation: a test story sets them, as the actions did."""
    slots = yaml.safe_load(domain_path.read_text())["slots"]
    return frozenset(name for name, spec in slots.items() if spec.get("influence_conversation"))


def with_stand_in_codes(text: str) -> str:
    """The text with every code in it written with the stand-in digits, in the same shape."""
    digits = iter(STAND_IN_CODE * 2)
    return CODE.sub(lambda m: re.sub(r"\d", lambda _: next(digits), m.group(0)), text)


def annotated(text: str, entities: list[dict[str, Any]]) -> str:
    """The learner's words with their entities marked as Rasa's test stories write them."""
    marked = text
    for entity in sorted(entities, key=lambda e: e.get("start", 0), reverse=True):
        start, end = entity.get("start"), entity.get("end")
        if start is None or end is None or not text[start:end]:
            continue
        marked = f"{marked[:start]}[{marked[start:end]}]({entity['entity']}){marked[end:]}"
    return with_stand_in_codes(marked)


def story(name: str, events: list[dict[str, Any]], steering: frozenset[str]) -> dict[str, Any]:
    """A conversation's stored events as one test story."""
    steps: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind in STORY_ENDS:
            # The turn it happened in goes too: what comes after such an action in that
            # turn is decided by the action, which rasa test doesn't run.
            users = [i for i, step in enumerate(steps) if "intent" in step]
            del steps[users[-1] if users else 0 :]
            break
        if kind == "user":
            parse_data = event.get("parse_data") or {}
            intent = (parse_data.get("intent") or {}).get("name")
            text = str(event.get("text") or "")
            entities = [e for e in parse_data.get("entities") or [] if e.get("entity")]
            steps.append({"intent": intent, "user": annotated(text, entities)})
        elif kind == "action" and event.get("name") not in NOT_IN_STORIES:
            steps.append({"action": event.get("name")})
        elif kind == "active_loop":
            steps.append({"active_loop": event.get("name")})
        elif (
            kind == "slot" and event.get("name") in steering and steps and "intent" not in steps[-1]
        ):
            if "slot_was_set" not in steps[-1]:
                steps.append({"slot_was_set": []})
            steps[-1]["slot_was_set"].append({event["name"]: event.get("value")})
    return {"story": name, "steps": steps}


def story_file(topic: str) -> Path:
    return STORIES / f"test_{topic}.yml"


def render(topic: str, stories: list[dict[str, Any]]) -> str:
    header = (
        f"# The paths of tests/conversations/{topic}.yml as Rasa test stories, written by\n"
        "# `make stories` from the conversations played against the stack (stack/stories.py):\n"
        "# edit the conversations, not this file. `make story-test` runs them end to end.\n"
    )
    body = yaml.safe_dump(
        {"version": "3.1", "stories": stories},
        sort_keys=False,
        allow_unicode=True,
        width=1000,
    )
    return header + body


def committed(topic: str) -> dict[str, dict[str, Any]]:
    """The committed test stories of a topic, by name."""
    path = story_file(topic)
    if not path.exists():
        return {}
    return {s["story"]: s for s in yaml.safe_load(path.read_text()).get("stories") or []}


def stale(conversation: Conversation, events: list[dict[str, Any]]) -> str | None:
    """Why the committed test story of `conversation` is not what it gives now, if it isn't."""
    name = conversation.spec["name"]
    now = story(name, events, steering_slots())
    if committed(conversation.topic).get(name) != now:
        return (
            f"tests/stories/test_{conversation.topic}.yml: the story {name!r} is not what "
            "the conversation gives now: run `make stories`"
        )
    return None


def story_trackers(agent: Any) -> list[Any]:
    """Every committed test story as the tracker `rasa test` plays, file by file."""
    from rasa.core.test import _create_data_generator

    trackers: list[Any] = []
    for path in sorted(STORIES.glob("*.yml")):
        trackers.extend(_create_data_generator(str(path), agent).generate_story_trackers())
    return trackers
