"""The action behind every topic intent: start the topic, using what is known already."""

from __future__ import annotations

import abc
from typing import ClassVar

from actions import account_check, flow
from actions.flow import Turn, TurnAction


async def start_topic(turn: Turn, topic_name: str) -> None:
    """Gives the topic's first step, or skips ahead when the account state is known.

    An address in the same message is checked straight away (typos, SSO, code offer);
    a learner who already proved their address goes to the step that fits the account.
    """
    topic = flow.enter(turn, topic_name)
    if topic.intro:
        turn.say(topic.intro)
    address = turn.latest_entity("email")
    if address:
        if topic.on_address is None:
            await topic.steps[0].run(turn)
        await account_check.receive_address(turn, address)
    elif not (topic.checks_accounts and await account_check.use_account_state(turn)):
        await flow.give_step(turn, topic_name)


class TopicAction(TurnAction, abc.ABC):
    """Starts the topic named by `topic`; subclasses only name the action and the topic."""

    action_name: ClassVar[str]

    @property
    @abc.abstractmethod
    def topic(self) -> str:
        """The name of the topic (see `flow.TOPICS`) this action starts."""

    def name(self) -> str:
        return self.action_name

    async def handle(self, turn: Turn) -> None:
        await start_topic(turn, self.topic)
