"""The limits that keep the service from being turned against a learner: one mail budget,
wrong-code limits and pauses, counted in SQLite so neither a restart nor "forget" resets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.abuse_report import gmail_spellings
from tests.support.service_fixtures import FakeClock, RunningService, run_service

PERSONAS = {"registered": "ana.silva@example.com", "unregistered": "nobody.here@example.org"}
MAIL_PATHS = ("/codes", "/password-reset", "/verification-email")
CLIENT = "a1b2c3d4e5f60718"
HOUR = 3600


def client(index: int) -> str:
    return f"{index:016x}"


async def _mail(
    service: RunningService, path: str, email: str, conversation: str, client_id: str = CLIENT
) -> tuple[int, dict]:
    return await service.call(
        "POST", path, json={"email": email, "conversation_id": conversation, "client": client_id}
    )


async def _guess(
    service: RunningService, email: str, conversation: str, client_id: str = CLIENT
) -> tuple[int, dict]:
    """A wrong code (no code mailed in these conversations is ever 'abcdef')."""
    return await service.call(
        "POST",
        "/codes/verify",
        json={
            "email": email,
            "code": "abcdef",
            "conversation_id": conversation,
            "client": client_id,
        },
    )


@pytest.mark.parametrize("spread", ["one client", "a client each"])
async def test_throwaway_conversations_deliver_at_most_six_mails(
    account_service: RunningService, spread: str
) -> None:
    victim = PERSONAS["registered"]
    for index in range(25):
        client_id = CLIENT if spread == "one client" else client(index)
        for path in ("/codes", "/password-reset"):
            await _mail(account_service, path, victim, f"throwaway-{index}", client_id)
        account_service.clock.advance(60)
    assert len(await account_service.outbox(victim)) <= 6


@pytest.mark.parametrize("path", MAIL_PATHS)
async def test_a_refusal_is_byte_identical_for_any_address(
    account_service: RunningService, path: str
) -> None:
    refusals = {}
    for persona, email in PERSONAS.items():
        for index in range(3):
            await _mail(account_service, "/password-reset", email, f"{persona}-{index}", client(1))
        async with account_service.session.post(
            account_service.url + path,
            json={"email": email, "conversation_id": f"{persona}-last", "client": client(2)},
            headers={"X-API-Key": account_service.api_key},
        ) as response:
            refusals[persona] = (response.status, await response.read())
    assert refusals["registered"] == refusals["unregistered"]
    assert refusals["registered"][0] == 429
    assert refusals["registered"][1] == b'{"error": "mail_limit", "retry_after_seconds": 900}'


async def test_every_spelling_of_one_inbox_shares_its_budget(
    account_service: RunningService,
) -> None:
    """Forty spellings of one Gmail inbox, each from its own network and conversation, over a
    day: at most 6 mails reach that inbox."""
    spellings = gmail_spellings(40)
    assert len(set(spellings)) == 40
    for index, spelling in enumerate(spellings):
        for path in ("/codes", "/password-reset"):
            await _mail(account_service, path, spelling, f"throwaway-{index}", client(100 + index))
        account_service.clock.advance(30 * 60)
    delivered = [mail for spelling in spellings for mail in await account_service.outbox(spelling)]
    assert len(delivered) <= 6
    assert delivered, "the budget still lets mails through"


@pytest.mark.parametrize("persona", sorted(PERSONAS))
async def test_one_conversation_gets_three_mails_an_hour(
    account_service: RunningService, persona: str
) -> None:
    email = PERSONAS[persona]
    for index in range(3):
        status, _ = await _mail(account_service, MAIL_PATHS[index], email, "conv")
        assert status in (202,)
    status, body = await _mail(account_service, "/codes", "someone.else@example.org", "conv")
    assert (status, body["error"]) == (429, "mail_limit")
    account_service.clock.advance(HOUR)
    assert (await _mail(account_service, "/codes", "someone.else@example.org", "conv"))[0] == 202


async def test_a_client_gets_ten_mails_an_hour(account_service: RunningService) -> None:
    for index in range(10):
        email = f"learner{index}@example.org"
        assert (await _mail(account_service, "/password-reset", email, f"c{index}"))[0] == 202
    status, body = await _mail(account_service, "/password-reset", "late@example.org", "c-late")
    assert (status, body["error"]) == (429, "mail_limit")
    other = await _mail(account_service, "/password-reset", "late@example.org", "c-late", client(9))
    assert other[0] == 202


async def test_codes_from_other_clients_leave_the_owner_a_code(
    account_service: RunningService,
) -> None:
    """The code quota is per (address, client); the mail budget still caps the inbox."""
    owner = PERSONAS["registered"]
    for index in range(3):  # someone else asks 3 codes, spread out so the budget allows them
        assert (await _mail(account_service, "/codes", owner, f"other-{index}", client(5)))[
            0
        ] == 202
        account_service.clock.advance(16 * 60)
    status, body = await _mail(account_service, "/codes", owner, "other-more", client(5))
    assert (status, body["error"]) == (429, "too_many_codes")
    assert (await _mail(account_service, "/codes", owner, "owner", CLIENT))[0] == 202


@pytest.mark.parametrize("persona", sorted(PERSONAS))
async def test_limits_survive_forget_and_restart(tmp_path: Path, persona: str) -> None:
    email = PERSONAS[persona]
    db_path, clock = tmp_path / "accounts.db", FakeClock()
    async with run_service(db_path, clock) as service:
        for index in range(3):
            await _mail(service, "/password-reset", email, f"conv-{index}")
            assert (await service.call("DELETE", f"/conversations/conv-{index}"))[0] == 200
        assert (await _mail(service, "/password-reset", email, "conv-new"))[0] == 429
    async with run_service(db_path, clock) as service:
        assert (await _mail(service, "/password-reset", email, "conv-after-restart"))[0] == 429
        clock.advance(15 * 60)
        assert (await _mail(service, "/password-reset", email, "conv-later"))[0] == 202


async def test_wrong_codes_in_a_row_wait_longer_each_time(account_service: RunningService) -> None:
    """The run goes on across addresses in the conversation."""
    addresses = [PERSONAS["registered"]] * 3 + [PERSONAS["unregistered"]] * 3
    for email in set(addresses):
        await _mail(account_service, "/codes", email, "conv")
    waits = []
    for email in addresses:
        status, _ = await _guess(account_service, email, "conv")
        assert status == 200
        status, body = await _guess(account_service, email, "conv")
        assert (status, body["error"]) == (429, "slow_down")
        waits.append(body["retry_after_seconds"])
        account_service.clock.advance(body["retry_after_seconds"])
    assert waits == [1, 2, 4, 8, 16, 32]


async def _guesses_checked(
    service: RunningService, targets: list[tuple[str, str, str]], client_id: str = CLIENT
) -> int:
    """Wrong codes the service compares against a live code, three per (email, conversation,
    client) target with a code mailed to it; pauses are waited out, refusals not retried."""
    for email, conversation, mail_client in targets:
        assert (await _mail(service, "/codes", email, conversation, mail_client))[0] == 202
    checked = 0
    for _ in range(3):
        for email, conversation, _mail_client in targets:
            status, body = await _guess(service, email, conversation, client_id)
            while status == 429 and body["error"] == "slow_down":
                service.clock.advance(body["retry_after_seconds"])
                status, body = await _guess(service, email, conversation, client_id)
            checked += status == 200 and body["status"] in ("wrong_code", "too_many_attempts")
    return checked


async def test_others_guesses_never_lock_the_owner_out(account_service: RunningService) -> None:
    """An attacker asks for two codes to the owner's address and types five wrong codes; the
    owner, in their own conversation from another network, still gets a code and gets in."""
    owner = PERSONAS["registered"]
    attacker = [(owner, f"attacker-{index}", client(7)) for index in range(2)]
    assert await _guesses_checked(account_service, attacker, client(7)) == 6
    status, _ = await _mail(account_service, "/codes", owner, "owner-conversation", CLIENT)
    assert status == 202
    code = await account_service.latest_code(owner)
    status, body = await account_service.call(
        "POST",
        "/codes/verify",
        json={
            "email": owner,
            "code": code,
            "conversation_id": "owner-conversation",
            "client": CLIENT,
        },
    )
    assert (status, body["status"]) == (200, "verified")


async def test_wrong_codes_per_conversation_per_hour(account_service: RunningService) -> None:
    targets = [(f"target{index}@example.org", "one-conversation", CLIENT) for index in range(3)]
    assert await _guesses_checked(account_service, targets) == 6


async def test_wrong_codes_per_client_per_hour(account_service: RunningService) -> None:
    targets = [(f"target{index}@example.org", f"conv-{index}", CLIENT) for index in range(5)]
    assert await _guesses_checked(account_service, targets) == 12


async def test_a_right_code_still_works_after_a_wait(account_service: RunningService) -> None:
    email = PERSONAS["registered"]
    await _mail(account_service, "/codes", email, "conv")
    code = await account_service.latest_code(email)
    await _guess(account_service, email, "conv")
    account_service.clock.advance(1)
    status, body = await account_service.call(
        "POST",
        "/codes/verify",
        json={"email": email, "code": code, "conversation_id": "conv", "client": CLIENT},
    )
    assert (status, body["status"]) == (200, "verified")


async def test_the_token_only_works_in_its_conversation(account_service: RunningService) -> None:
    token = await account_service.verified_token(PERSONAS["registered"], "conv-owner")
    answers = {}
    for conversation in ("conv-owner", "conv-other", ""):
        headers = {"X-Verification-Token": token, "X-Conversation-Id": conversation}
        answers[conversation] = await account_service.call(
            "GET", "/accounts/state", headers=headers
        )
    assert answers["conv-owner"][0] == 200
    assert answers["conv-other"] == answers[""] == (401, {"error": "invalid_token"})


@pytest.mark.parametrize("value", ["ABCDEF0123456789", "short", 12, "g" * 16])
async def test_a_malformed_client_id_is_a_bad_request(
    account_service: RunningService, value: object
) -> None:
    status, body = await account_service.call(
        "POST",
        "/password-reset",
        json={"email": PERSONAS["registered"], "conversation_id": "c", "client": value},
    )
    assert (status, body) == (400, {"error": "bad_request"})
