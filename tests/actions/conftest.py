"""Fixtures for action tests: the real domain, a fresh tracker and dispatcher per run,
the real account service (or a faulty one).

`Learner` runs one custom action the way Rasa would for one message: a tracker built
from the slots so far and the new message, a fresh CollectingDispatcher, the returned
SlotSet events applied. `texts` fills the domain responses the action named with the
values it passed and the slots, as Rasa's response generator does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import account_client
from actions.account_check import ActionCheckAddress, ActionSendCode, ActionVerifyCode
from actions.account_client import AccountClient
from nlu_components.account_entities import find_entities
from tests.service_fixtures import FAULT_CLIENT_TIMEOUT, RunningService

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="session")
def spacy_nlp() -> Any:
    """The pipeline the NLU uses, built from code, for realistic entities in test messages."""
    from nlu_components.spacy_model import build_pipeline

    return build_pipeline()


@dataclass
class Learner:
    """One learner's conversation, one custom action per message."""

    domain: Domain
    nlp: Any
    service: RunningService | None = None
    sender_id: str = "learner-1"
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

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
        values = {**{k: v for k, v in self.slots.items() if v is not None}}
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


@pytest.fixture
async def service_client(
    account_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AccountClient]:
    """Points the actions' shared client at the test's own account service."""
    client = AccountClient(account_service.url, account_service.api_key, timeout=5)
    monkeypatch.setattr(account_client, "_shared", client)
    yield client
    await client.close()


@pytest.fixture
def learner(
    domain: Domain, spacy_nlp: Any, account_service: RunningService, service_client: Any
) -> Learner:
    return Learner(domain, spacy_nlp, account_service)


@pytest.fixture
async def faulty_learner(
    domain: Domain, spacy_nlp: Any, fault_server: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    """Factory: a Learner whose account service fails in the given way (see FAULT_MODES)."""
    clients: list[AccountClient] = []

    async def make(mode: str) -> Learner:
        client = AccountClient(await fault_server(mode), "test-key", timeout=FAULT_CLIENT_TIMEOUT)
        clients.append(client)
        monkeypatch.setattr(account_client, "_shared", client)
        return Learner(domain, spacy_nlp)

    yield make
    for client in clients:
        await client.close()
