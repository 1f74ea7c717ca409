"""Fixtures for action tests: the real domain, fresh trackers, the real account service.

`Chat` runs our actions the way Rasa would, one learner message at a time: it builds
a fresh tracker from the slots so far and the new message, runs the action with a
fresh CollectingDispatcher, and applies the SlotSet events it returns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions  # noqa: F401  (registers every topic)
from actions import account_client
from actions.account_check import ActionReceiveInform
from actions.account_client import AccountClient
from actions.answers import ActionAnswerYesNo
from actions.handoff import ActionHandoff
from actions.login import ActionCantLogIn
from nlu_components.account_entities import find_entities
from tests.service_fixtures import FAULT_CLIENT_TIMEOUT, RunningService

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="session")
def spacy_nlp() -> Any:
    """The pipeline the NLU uses, built from code, for realistic entities in test messages."""
    from nlu_components.spacy_model import build_pipeline

    return build_pipeline()


@dataclass
class Chat:
    """One learner's conversation driven directly through the actions."""

    domain: Domain
    nlp: Any
    service: RunningService | None = None
    sender_id: str = "learner-1"
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    last_messages: list[dict[str, Any]] = field(default_factory=list)

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

    async def send(self, action: Action, intent: str, text: str = "") -> list[str]:
        """Runs `action` for one learner message; returns the texts the learner sees."""
        dispatcher = CollectingDispatcher()
        tracker = self.tracker(intent, text or f"/{intent}")
        result = await action.run(dispatcher, tracker, self.domain.as_dict())
        for event in result:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        self.last_messages = dispatcher.messages
        for message in dispatcher.messages:
            self.events.append({"event": "bot", "text": message.get("text")})
        return [message.get("text") or "" for message in dispatcher.messages]

    # The messages a learner sends most, routed as the rules route them.
    async def yes(self) -> list[str]:
        return await self.send(ActionAnswerYesNo(), "affirm", "yes")

    async def no(self) -> list[str]:
        return await self.send(ActionAnswerYesNo(), "deny", "no")

    async def inform(self, text: str) -> list[str]:
        return await self.send(ActionReceiveInform(), "inform", text)

    async def cant_log_in(self, text: str = "I can't log in") -> list[str]:
        return await self.send(ActionCantLogIn(), "cant_log_in", text)

    async def ask_for_human(self) -> list[str]:
        return await self.send(ActionHandoff(), "request_human", "talk to a person")

    async def prove(self, address: str) -> list[str]:
        """Gives the address, accepts the code offer and types the code from the outbox."""
        assert self.service is not None
        await self.inform(f"my email is {address}")
        await self.yes()
        return await self.inform(await self.service.latest_code(address))

    def buttons(self) -> list[str]:
        return [b["title"] for m in self.last_messages for b in (m.get("buttons") or [])]


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
def chat(
    domain: Domain, spacy_nlp: Any, account_service: RunningService, service_client: Any
) -> Chat:
    return Chat(domain, spacy_nlp, account_service)


@pytest.fixture
async def faulty_chat(
    domain: Domain, spacy_nlp: Any, fault_server: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    """Factory: a Chat whose account service fails in the given way (see FAULT_MODES)."""
    clients: list[AccountClient] = []

    async def make(mode: str) -> Chat:
        client = AccountClient(await fault_server(mode), "test-key", timeout=FAULT_CLIENT_TIMEOUT)
        clients.append(client)
        monkeypatch.setattr(account_client, "_shared", client)
        return Chat(domain, spacy_nlp)

    yield make
    for client in clients:
        await client.close()
