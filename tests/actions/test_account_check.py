"""Addresses and one-time codes: what each persona gets after proving their address,
and that nothing about an account shows before that."""

from __future__ import annotations

import re

import pytest

from tests.actions.conftest import Chat, joined

# (address typed, what the learner must be told after a correct code)
PERSONAS = [
    (
        "ana.silva@example.com",
        ["signs in with its email and password", "sent a password reset link"],
    ),
    ("ben.okafor@gmail.com", ["signs in with Google", "Continue with Google"]),
    ("chloe.martin@outlook.com", ["hasn't been confirmed", "Action Required: Please confirm"]),
    ("emma.jones@yahoo.com", ["e***@gmail.com", "Facebook", '"Financial Markets"']),
    ("frank.muller@gmail.com", ["no account registered", "frank.muller@gmial.com"]),
    ("grace.lee@example.com", ["changed 2 days ago", "g***@protonmail.com", "Did you make"]),
]


@pytest.mark.parametrize(("address", "expected"), PERSONAS, ids=[p[0] for p in PERSONAS])
async def test_a_proven_address_skips_to_the_step_that_fits(
    chat: Chat, address: str, expected: list[str]
) -> None:
    await chat.cant_log_in()
    reply = joined(await chat.prove(address))
    assert "that's confirmed" in reply
    for fact in expected:
        assert fact in reply


async def test_unverified_learner_gets_the_confirmation_email(chat: Chat) -> None:
    await chat.cant_log_in()
    await chat.prove("chloe.martin@outlook.com")
    assert chat.service is not None
    subjects = [m["subject"] for m in await chat.service.outbox("chloe.martin@outlook.com")]
    assert "Action Required: Please confirm your email" in subjects


async def test_sso_domain_is_told_at_once_without_a_code(chat: Chat) -> None:
    await chat.cant_log_in()
    reply = joined(await chat.inform("it's david.kim@stateuniversity.edu"))
    assert "State University" in reply and "single sign-on" in reply
    assert "6-digit code" not in reply
    assert chat.service is not None
    assert await chat.service.outbox("david.kim@stateuniversity.edu") == []


async def test_email_change_not_made_by_owner_opens_a_high_priority_ticket(chat: Chat) -> None:
    await chat.cant_log_in()
    await chat.prove("grace.lee@example.com")
    reply = joined(await chat.no())  # "No, it wasn't me"
    ticket_id = re.search(r"CS-\d+", reply)
    assert ticket_id, reply
    assert chat.service is not None
    status, ticket = await chat.service.call("GET", f"/tickets/{ticket_id.group(0)}")
    assert status == 200 and ticket["priority"] == "high"


def same_for_any_address(texts: list[str], address: str) -> str:
    return joined(texts).replace(address, "<address>")


@pytest.mark.parametrize(
    ("registered", "unregistered"),
    [
        ("ana.silva@example.com", "ana.silvia@example.com"),
        ("ben.okafor@gmail.com", "ben.okafor2@gmail.com"),
        ("chloe.martin@outlook.com", "chloe.martinez@outlook.com"),
    ],
)
async def test_replies_before_the_code_are_identical_for_registered_and_unknown_addresses(
    domain, spacy_nlp, account_service, service_client, registered: str, unregistered: str
) -> None:
    transcripts = []
    for address in (registered, unregistered):
        chat = Chat(domain, spacy_nlp, account_service, sender_id=f"enum-{address}")
        steps = [
            await chat.cant_log_in(),
            await chat.inform(f"my email is {address}"),
            await chat.yes(),
            await chat.inform("000000"),  # a wrong code
            await chat.no(),
        ]
        transcripts.append([same_for_any_address(step, address) for step in steps])
    assert transcripts[0] == transcripts[1]


async def test_wrong_codes_count_down_then_offer_a_way_forward(chat: Chat) -> None:
    await chat.cant_log_in()
    await chat.inform("ana.silva@example.com")
    await chat.yes()
    assert "Tries left with this code: 2" in joined(await chat.inform("000000"))
    assert "Tries left with this code: 1" in joined(await chat.inform("111111"))
    reply = joined(await chat.inform("222222"))
    assert "blocked after too many wrong tries" in reply
    assert {"Send a new code", "Use another address", "Talk to a person"} <= set(chat.buttons())
    # The right code no longer works, and no account fact was shown.
    assert chat.service is not None
    late = joined(await chat.inform(await chat.service.latest_code("ana.silva@example.com")))
    assert "confirmed" not in late
    # A new code gets them through.
    assert "6-digit code is on its way" in joined(await chat.yes())
    reply = joined(await chat.inform(await chat.service.latest_code("ana.silva@example.com")))
    assert "that's confirmed" in reply


async def test_expired_code_is_explained(chat: Chat) -> None:
    assert chat.service is not None
    await chat.cant_log_in()
    await chat.inform("ben.okafor@gmail.com")
    await chat.yes()
    code = await chat.service.latest_code("ben.okafor@gmail.com")
    chat.service.clock.advance(11 * 60)
    reply = joined(await chat.inform(code))
    assert "expired" in reply and "Send a new code" in chat.buttons()


async def test_code_limit_per_hour_gets_a_clear_answer(chat: Chat) -> None:
    await chat.cant_log_in()
    await chat.inform("ana.silva@example.com")
    for _ in range(3):
        assert "on its way" in joined(await chat.yes())
        await chat.inform("ana.silva@example.com")
    reply = joined(await chat.yes())
    assert "can't send more codes" in reply and "Talk to a person" in chat.buttons()


async def test_typed_slash_entities_do_not_prove_anything(chat: Chat) -> None:
    """Entities typed by hand only start the normal checks; the token comes from the service."""
    await chat.cant_log_in()
    chat.slots["verification_token"] = "forged-token"
    reply = joined(await chat.inform('/inform{"email": "ana.silva@example.com"}'))
    assert "shall I email a 6-digit code" in reply
    reply = joined(await chat.inform('/inform{"code": "123456"}'))
    assert "confirmed" not in reply and "password" not in reply


@pytest.mark.parametrize("typed", ["ana.silva@", "ana@gmail", "bob@@example.com", "x@y"])
async def test_malformed_addresses_are_asked_again(chat: Chat, typed: str) -> None:
    await chat.cant_log_in()
    reply = joined(await chat.inform(f"my email is {typed}"))
    assert "doesn't look like a complete email address" in reply
    assert chat.slots["pending"] == "address"
