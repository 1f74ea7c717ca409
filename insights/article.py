"""Topics and steps as the dialogue data defines them, so the measures follow the stories.

A topic is an article section (a value of the `topic` slot, set from the intent that names
it). A step is the action the assistant ran just before asking "Did that work?" or "Did this
solve your problem?"; its number is its place in the section's stories. Nothing is listed
by hand: adding a step to the stories adds it to the insights.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ("utter_did_that_work", "utter_did_this_solve")
# Sections a story file belongs to only by the way (shortcuts from an address or a code).
SHORTCUT_FILES = ("account_check",)
OFFERS = ("utter_offer_code", "utter_offer_courses_lookup")


@dataclass(frozen=True)
class Article:
    """The sections, their ordered steps and the intents that start them."""

    topics: tuple[str, ...]
    steps: dict[str, tuple[str, ...]]  # topic -> step actions in article order
    home_topic: dict[str, str]  # step action -> the section whose stories list it first
    topic_intents: dict[str, str]  # intent -> topic
    custom_actions: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def step_number(self, topic: str, step: str) -> int | None:
        steps = self.steps.get(topic, ())
        return steps.index(step) + 1 if step in steps else None

    def topic_of(self, slot_topic: str | None, step: str | None) -> str:
        """The section a question belongs to: the `topic` slot, else the step's own section."""
        if slot_topic:
            return slot_topic
        return self.home_topic.get(step or "", "none")


def step_label(step: str) -> str:
    """A readable name for a step action: `utter_login_reset_password` -> `reset password`."""
    name = step.removeprefix("utter_").removeprefix("action_")
    return name.replace("_", " ")


def _actions_before_questions(steps: list[dict[str, Any]]) -> list[str]:
    actions = [step["action"] for step in steps if "action" in step]
    return [
        actions[index - 1]
        for index, action in enumerate(actions)
        if action in QUESTIONS and index > 0 and actions[index - 1] not in QUESTIONS
    ]


@functools.cache
def load(root: Path = ROOT) -> Article:
    """Reads domain.yml, data/stories and data/rules."""
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    topic_slot = domain["slots"]["topic"]
    topics = tuple(topic_slot["values"])
    topic_intents = {
        mapping["intent"]: mapping["value"]
        for mapping in topic_slot["mappings"]
        if mapping.get("type") == "from_intent"
    }
    steps: dict[str, list[str]] = {topic: [] for topic in topics}
    home: dict[str, str] = {}
    shortcuts: list[str] = []
    for kind in ("stories", "rules"):
        for path in sorted((root / "data" / kind).glob("*.yml")):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            topic = path.stem
            for story in document.get(kind) or []:
                for action in _actions_before_questions(story.get("steps") or []):
                    if topic in steps:
                        if action not in steps[topic]:
                            steps[topic].append(action)
                        home.setdefault(action, topic)
                    else:
                        shortcuts.append(action)
    for action in shortcuts:
        home.setdefault(action, "account_check")
    return Article(
        topics=topics,
        steps={topic: tuple(found) for topic, found in steps.items()},
        home_topic=home,
        topic_intents=topic_intents,
        custom_actions=tuple(domain.get("actions") or ()),
    )
