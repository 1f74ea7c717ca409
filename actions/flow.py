"""The step-by-step engine every topic shares.

Each topic is the ordered list of steps its help-article section gives. The assistant
gives one step, asks whether it worked, and either stops or moves on. What it waits
for is kept in the `pending` slot, so a bare "yes" or "no" always lands in the right
place, and a learner can switch topic at any point without breaking anything.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import say

# What the assistant is waiting for (the `pending` slot).
PENDING_STEP = "step"  # "did that work?" after a step
PENDING_SOLVED = "solved"  # the closing "did this solve your problem?"
PENDING_HANDOFF = "handoff"  # "shall I open a ticket?"
PENDING_OFFER_CODE = "offer_code"  # "shall I send a code to this address?"
PENDING_CODE = "code"  # a code was sent; waiting for the learner to type it
PENDING_ADDRESS = "address"  # waiting for an email address
PENDING_CONFIRM_CHANGE = "confirm_change"  # "did you change the address yourself?"

EMAIL_SHAPE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


@dataclass
class Turn:
    """One action run: what the learner said, what we reply and which slots we change."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    events: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[str, Any] = field(default_factory=dict)
    service_down_said: bool = False

    @property
    def conversation_id(self) -> str:
        return str(self.tracker.sender_id)

    def slot(self, name: str) -> Any:
        if name in self.changed:
            return self.changed[name]
        return self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self.changed[name] = value
        self.events.append(SlotSet(name, value))

    def say(self, reply: str, **values: Any) -> None:
        say(self.dispatcher, reply, **values)

    def say_service_down(self) -> None:
        """Apologises once per turn for the account system being unreachable."""
        if not self.service_down_said:
            self.say("service_down")
            self.service_down_said = True

    def latest_entity(self, kind: str) -> str | None:
        """Returns the last `kind` entity of the learner's latest message, if any."""
        values = [
            entity.get("value")
            for entity in self.tracker.latest_message.get("entities", [])
            if entity.get("entity") == kind and entity.get("value")
        ]
        return str(values[-1]).strip() if values else None

    def known_email(self) -> str | None:
        """The learner's proven address if there is one, else the one they last typed."""
        email = clean_address(self.slot("verified_email") or self.slot("email") or "")
        # The slot takes whatever the learner typed; a malformed address is no address.
        return email if is_email(email) else None


def clean_address(text: str) -> str:
    """Strips the quotes, brackets and sentence punctuation people type around addresses."""
    return text.strip().strip("<>\"'()[],;:!?").rstrip(".")


def is_email(text: str) -> bool:
    return bool(EMAIL_SHAPE.match(text)) and len(text) <= 254


StepAction = Callable[[Turn], Awaitable[None]]
AddressHandler = Callable[[Turn, str], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepAction


@dataclass(frozen=True)
class Topic:
    """A help-article section: its intro line and its steps in the article's order."""

    name: str
    steps: tuple[Step, ...]
    intro: str | None = None
    # Whether knowing the learner's account state can shorten this topic.
    checks_accounts: bool = True
    # What to do with a typed address instead of offering a one-time code.
    on_address: AddressHandler | None = None

    def index_of(self, step_name: str | None) -> int:
        names = [step.name for step in self.steps]
        return names.index(step_name) if step_name in names else 0


TOPICS: dict[str, Topic] = {}


def register(topic: Topic) -> Topic:
    TOPICS[topic.name] = topic
    return topic


def reply_step(name: str, reply: str | None = None) -> Step:
    """A step that only says its reply (named like the step unless given)."""

    async def run(turn: Turn) -> None:
        turn.say(reply or name)

    return Step(name, run)


def current_topic(turn: Turn) -> tuple[Topic | None, int]:
    topic = TOPICS.get(turn.slot("topic") or "")
    if topic is None:
        return None, 0
    return topic, topic.index_of(turn.slot("step"))


def enter(turn: Turn, topic_name: str, step_name: str | None = None) -> Topic:
    """Makes `topic_name` the current topic, positioned at `step_name` (or its first step)."""
    topic = TOPICS[topic_name]
    turn.set("topic", topic.name)
    turn.set("step", topic.steps[topic.index_of(step_name)].name)
    return topic


async def give_step(turn: Turn, topic_name: str, step_name: str | None = None) -> None:
    """Gives one step of a topic and asks how it went."""
    topic = enter(turn, topic_name, step_name)
    index = topic.index_of(turn.slot("step"))
    await topic.steps[index].run(turn)
    ask_outcome(turn, is_last=index == len(topic.steps) - 1)


def ask_outcome(turn: Turn, is_last: bool) -> None:
    """Asks whether the step worked; after the last step, whether the problem is solved."""
    if is_last:
        turn.say("did_this_solve")
        turn.set("pending", PENDING_SOLVED)
    else:
        turn.say("did_that_work")
        turn.set("pending", PENDING_STEP)


def ask_outcome_here(turn: Turn) -> None:
    """Asks how it went, judging from the current step whether it was the last one."""
    topic, index = current_topic(turn)
    ask_outcome(turn, is_last=topic is None or index == len(topic.steps) - 1)


async def advance(turn: Turn) -> None:
    """Moves to the next step, or offers a person when the steps have run out."""
    topic, index = current_topic(turn)
    if topic is None:
        turn.say("nothing_pending")
        turn.set("pending", None)
    elif index + 1 < len(topic.steps):
        await give_step(turn, topic.name, topic.steps[index + 1].name)
    else:
        offer_human(turn)


def offer_human(turn: Turn) -> None:
    turn.say("offer_human")
    turn.set("pending", PENDING_HANDOFF)


def record_outcome(turn: Turn, solved: bool) -> None:
    """Keeps the learner's answer to "did this solve it?" in the conversation record."""
    turn.set("problem_solved", solved)


class TurnAction(Action, abc.ABC):
    """An action written against a `Turn`: subclasses implement `handle` only.

    Abstract, so the action server registers the subclasses but not this base.
    """

    @abc.abstractmethod
    async def handle(self, turn: Turn) -> None:
        """Replies to the learner's latest message and updates the slots through `turn`."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = Turn(dispatcher, tracker)
        await self.handle(turn)
        return turn.events
