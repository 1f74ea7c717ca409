"""Scripted conversations played against the running assistant, judged turn by turn.

A conversation file (tests/conversations/<topic>.yml, eval/offscript/conversations.yml)
lists turns: what the learner types and, optionally, the domain responses the assistant
should send, text fragments, button titles and `pause_before` (seconds the learner waits).
`{code}` stands for the newest code mailed to the conversation's `address`, read from the
outbox as the learner would; `{code_spaced}` is the same code typed in two halves.

Every turn is also held to the conversation rules: never a silent turn or an apology, at
most one question, and "Did that work?" / "Did this solve your problem?" only after
something new to try. The tests assert each turn; the off-script evaluation counts them.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import Assistant, Learner

OUTCOME_QUESTIONS = frozenset({"utter_did_that_work", "utter_did_this_solve"})
# How a reply links to a help article (a Markdown link, as the domain writes them).
ARTICLE_LINK = "]("
# Replies that lead in or answer aside: none of them is something to try.
NOTHING_TO_TRY = frozenset(
    {
        "utter_login_intro",
        "utter_not_found_intro",
        "utter_back_to_step",
        "utter_iamabot",
        "utter_out_of_scope",
        "utter_how_no_detail",
        "utter_code_declined",
    }
)


@dataclass(frozen=True)
class Conversation:
    topic: str
    steps: tuple[str, ...]
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.topic}: {self.spec['name']}"


def load(paths: list[Path]) -> list[Conversation]:
    """The conversations of these files; a file's stem is its conversations' topic."""
    conversations = []
    for path in sorted(paths):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        steps = tuple(data.get("steps") or ())
        for spec in data["conversations"]:
            conversations.append(Conversation(path.stem, steps, spec))
    return conversations


def forget_codes(assistant: Assistant, sender: str) -> None:
    """Tells the account service to forget a played conversation's codes, so the next
    conversation may ask for codes to the same persona (its hourly allowance is per
    conversation's codes still held)."""
    request = urllib.request.Request(
        f"{assistant.account_url}/conversations/{urllib.parse.quote(sender)}",
        method="DELETE",
        headers={"X-API-Key": assistant.api_key or ""},
    )
    urllib.request.urlopen(request, timeout=10).close()


class RuleCheck:
    """The conversation rules every turn is held to; `turn` returns what a turn broke."""

    def __init__(self) -> None:
        # Whether something to try was said since the last "did that work?".
        self.something_to_try = False

    def turn(self, texts: list[str], names: list[str]) -> list[str]:
        broken = []
        if not texts or not all(text.strip() for text in texts):
            broken.append("a silent or empty reply")
        if TROUBLE_REPLY in texts:
            broken.append("the apology")
        questions = [text for text in texts if text.rstrip().endswith("?")]
        if len(questions) > 1:
            broken.append(f"more than one question: {questions}")
        if len(names) != len(texts):
            broken.append(f"{len(texts)} replies but {len(names)} stored responses")
        for name, text in zip(names, texts, strict=False):
            if name in OUTCOME_QUESTIONS:
                if not self.something_to_try:
                    broken.append(f"{name} without anything new to try")
                self.something_to_try = False
            elif name not in NOTHING_TO_TRY and (
                not text.rstrip().endswith("?") or ARTICLE_LINK in text
            ):
                # A step, or a question that comes with an article to read.
                self.something_to_try = True
        return broken


@dataclass
class Turn:
    """One turn as played: what was sent, what came back, and what was wrong with it."""

    number: int
    message: str
    names: list[str]
    texts: list[str]
    buttons: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return not self.problems


def typed(message: str, learner: Learner, address: str | None) -> str:
    """The message with `{code}` / `{code_spaced}` replaced by the newest mailed code."""
    if "{code" not in message:
        return message
    assert address, "a conversation that types a code names its `address`"
    code = learner.latest_code(address)
    return message.replace("{code_spaced}", f"{code[:3]} {code[3:]}").replace("{code}", code)


def play(conversation: Conversation, learner: Learner) -> Iterator[Turn]:
    """Plays the conversation's turns in order, yielding each as soon as it is judged."""
    spec = conversation.spec
    rules = RuleCheck()
    said: list[str] = []
    for number, expected in enumerate(spec["turns"], start=1):
        time.sleep(float(expected.get("pause_before", 0)))
        message = typed(str(expected["learner"]), learner, spec.get("address"))
        texts = learner.say(message)
        names = learner.last_turn_responses()
        turn = Turn(number, message, names, texts, [b["title"] for b in learner.buttons()])
        turn.problems += rules.turn(texts, names)
        if "responses" in expected and names != expected["responses"]:
            turn.problems.append(f"expected {expected['responses']}")
        joined = "\n".join(texts)
        turn.problems += [f"missing {f!r}" for f in expected.get("says", []) if f not in joined]
        turn.problems += [f"said {f!r}" for f in expected.get("never_says", []) if f in joined]
        if "buttons" in expected and turn.buttons != expected["buttons"]:
            turn.problems.append(f"expected buttons {expected['buttons']}")
        if "utter_offer_ticket" in names and spec.get("offers_every_step"):
            missing = [step for step in conversation.steps if step not in said]
            if missing:
                turn.problems.append(f"a person offered before {missing}")
        said += names
        yield turn
