"""Fixtures for action tests: the real domain, the NLU's spaCy pipeline, and learners whose
actions reach the real account service (or a faulty one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from rasa.shared.core.domain import Domain

from actions import account_client
from actions.account_client import AccountClient
from stack.processes import ROOT
from tests.support.actions import ActionLearner
from tests.support.faults import FAULT_CLIENT_TIMEOUT
from tests.support.service_fixtures import FaultServerFactory, RunningService


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="session")
def spacy_nlp() -> Any:
    """The pipeline the NLU uses, built from code, for realistic entities in test messages."""
    from rasa_addons.nlu.spacy_model import build_pipeline

    return build_pipeline()


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
) -> ActionLearner:
    return ActionLearner(domain, spacy_nlp, account_service)


@pytest.fixture
async def faulty_learner(
    domain: Domain,
    spacy_nlp: Any,
    fault_server: FaultServerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Callable[[str], ActionLearner]]:
    """Factory: a learner whose account service fails in the given way (see FAULT_MODES)."""
    clients: list[AccountClient] = []

    def make(mode: str) -> ActionLearner:
        client = AccountClient(fault_server(mode), "test-key", timeout=FAULT_CLIENT_TIMEOUT)
        clients.append(client)
        monkeypatch.setattr(account_client, "_shared", client)
        return ActionLearner(domain, spacy_nlp)

    yield make
    for client in clients:
        await client.close()
