"""Tickets: one per conversation, the learner's words kept as inert plain text, the contact
only a proven address, and a daily limit per client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.service_fixtures import RunningService

CLIENT = "0123456789abcdef"


async def _ticket(
    service: RunningService, conversation: str, client: str = CLIENT, **fields: Any
) -> tuple[int, dict]:
    body = {"conversation_id": conversation, "topic": "login", "transcript": [], "client": client}
    body.update(fields)
    return await service.call("POST", "/tickets", json=body)


async def test_asking_again_adds_to_the_same_ticket(account_service: RunningService) -> None:
    opened = await _ticket(account_service, "conv", priority="normal")
    again = await _ticket(account_service, "conv", topic="email_change", priority="high")
    assert opened[0] == 201 and opened[1]["added_to_existing"] is False
    assert again == (200, {"ticket_id": opened[1]["ticket_id"], "added_to_existing": True})
    _, ticket = await account_service.call("GET", f"/tickets/{opened[1]['ticket_id']}")
    assert [request["topic"] for request in ticket["requests"]] == ["login", "email_change"]
    assert ticket["priority"] == "high"


async def test_repeated_requests_open_one_ticket(account_service: RunningService) -> None:
    ids = {(await _ticket(account_service, "conv"))[1]["ticket_id"] for _ in range(10)}
    assert len(ids) == 1


@pytest.mark.parametrize(
    "hidden",
    ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069"]
    + ["\u200b", "\u200e", "\x00", "\x1b", "\x7f", "\ufeff"],
)
async def test_learner_words_are_plain_text(account_service: RunningService, hidden: str) -> None:
    text = f"please{hidden} reset\nmy account{hidden}"
    _, opened = await _ticket(
        account_service, "conv", transcript=[{"sender": "user", "text": text}]
    )
    _, ticket = await account_service.call("GET", f"/tickets/{opened['ticket_id']}")
    assert ticket["requests"][0]["transcript"] == [
        {"sender": "user", "learner_words": "please reset my account"}
    ]


@pytest.mark.parametrize(
    ("email", "contact"),
    [
        ("Ana.Silva@Example.com", "ana.silva@example.com"),
        (None, "unproven"),
        ("not-an-address", "unproven"),
        ("a@b", "unproven"),
        (42, "unproven"),
    ],
)
async def test_contact_is_the_proven_address_or_unproven(
    account_service: RunningService, email: Any, contact: str
) -> None:
    status, opened = await _ticket(account_service, "conv", email=email)
    assert status == 201
    _, ticket = await account_service.call("GET", f"/tickets/{opened['ticket_id']}")
    assert ticket["contact"] == contact


async def test_a_proven_address_given_later_becomes_the_contact(
    account_service: RunningService,
) -> None:
    _, opened = await _ticket(account_service, "conv")
    await _ticket(account_service, "conv", email="ana.silva@example.com")
    _, ticket = await account_service.call("GET", f"/tickets/{opened['ticket_id']}")
    assert ticket["contact"] == "ana.silva@example.com"


async def test_five_new_tickets_per_client_a_day(account_service: RunningService) -> None:
    for index in range(5):
        assert (await _ticket(account_service, f"conv-{index}"))[0] == 201
    status, body = await _ticket(account_service, "conv-6")
    assert (status, body) == (429, {"error": "ticket_limit", "retry_after_seconds": 86400})
    # The conversations that have a ticket can still add to it, other clients can open one.
    assert (await _ticket(account_service, "conv-0"))[0] == 200
    assert (await _ticket(account_service, "conv-6", client="fedcba9876543210"))[0] == 201
    account_service.clock.advance(86400)
    assert (await _ticket(account_service, "conv-7"))[0] == 201


async def test_forgetting_a_conversation_keeps_the_ticket_limit(
    account_service: RunningService,
) -> None:
    for index in range(5):
        await _ticket(account_service, f"conv-{index}")
        await account_service.call("DELETE", f"/conversations/conv-{index}")
    assert (await _ticket(account_service, "conv-new"))[0] == 429
