"""Running custom actions the way Rasa would, one learner message at a time.

`ActionLearner` runs one custom action for one message: a tracker built from the slots
so far and the new message, a fresh CollectingDispatcher, the returned SlotSet events
applied. `render` fills the domain responses the action named with the help center's links, the
slots and the values it passed, as our response generator does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import ActionCheckAddress, ActionSendCode, ActionVerifyCode
from common.links import help_center_links
from rasa_addons.nlu.account_entities import find_entities
from tests.support.service_fixtures import RunningService

# Keys of a dispatcher message that are not values for the response's placeholders.
MESSAGE_KEYS = {
    "text",
    "buttons",
    "elements",
    "custom",
    "template",
    "response",
    "image",
    "attachment",
}


@dataclass
class ActionLearner:
    """One learner's conversation, one custom action per message."""

    domain: Domain
    nlp: Any
    service: RunningService | None = None
    sender_id: str = "learner-1"
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    returned: list[dict[str, Any]] = field(default_factory=list)  # the last run's events

    def __post_init__(self) -> None:
        self.slots = {slot.name: None for slot in self.domain.slots}

    def tracker(self, intent: str, text: str) -> Tracker:
        entities = find_entities(self.nlp(text.lower()), text)
        for entity in entities:
            if entity["entity"] == "email":
                self.slots["email"] = entity["value"]  # the domain's from_entity mapping
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities,
            "intent_ranking": [{"name": intent, "confidence": 1.0}],
        }
        self.events.append({"event": "user", "text": text, "parse_data": message})
        return Tracker(
            sender_id=self.sender_id,
            slots=dict(self.slots),
            latest_message=message,
            events=list(self.events),
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    async def run(self, action: Action, text: str = "", intent: str = "inform") -> list[str]:
        """Runs `action` for one learner message; returns what the learner reads."""
        dispatcher = CollectingDispatcher()
        tracker = self.tracker(intent, text or f"/{intent}")
        result = await action.run(dispatcher, tracker, self.domain.as_dict())
        self.returned = result
        for event in result:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        self.messages = dispatcher.messages
        shown = [self.render(message) for message in dispatcher.messages]
        for message, text_shown in zip(dispatcher.messages, shown, strict=True):
            self.events.append({"event": "bot", "text": text_shown, "data": message})
        return shown

    def render(self, message: dict[str, Any]) -> str:
        name = message.get("response")
        if not name:
            return str(message.get("text") or "")
        # As the response generator does (rasa_addons/links.py): links, then slots, then values.
        values = {**help_center_links(), **{k: v for k, v in self.slots.items() if v is not None}}
        values.update({k: v for k, v in message.items() if k not in MESSAGE_KEYS})
        template = self.domain.responses[name][0]["text"]
        return str(interpolate_text(template, values))

    async def prove(self, address: str) -> list[str]:
        """Types the address, accepts the code and types the code from the outbox."""
        assert self.service is not None
        await self.run(ActionCheckAddress(), f"my email is {address}")
        await self.run(ActionSendCode(), "yes", intent="affirm")
        return await self.run(ActionVerifyCode(), await self.service.latest_code(address))

    def said(self) -> list[str]:
        """The response names of the last run, in order."""
        return [str(message.get("response")) for message in self.messages]


def joined(texts: list[str]) -> str:
    return "\n".join(texts)
