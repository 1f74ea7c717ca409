"""One-time code rules: single use, limited tries, expiry, hourly quota."""

from __future__ import annotations

from tests.support.service_fixtures import RunningService

ANA = "ana.silva@example.com"
CONV = "conv-codes"


async def _request(service: RunningService, email: str = ANA, conv: str = CONV) -> tuple[int, dict]:
    return await service.call("POST", "/codes", json={"email": email, "conversation_id": conv})


async def _verify(
    service: RunningService, code: str, email: str = ANA, conv: str = CONV
) -> tuple[int, dict]:
    return await service.call(
        "POST", "/codes/verify", json={"email": email, "code": code, "conversation_id": conv}
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def _verify_later(
    service: RunningService, code: str, email: str = ANA, conv: str = CONV
) -> tuple[int, dict]:
    """A check after the pause that follows wrong codes (limits.py) has passed."""
    service.clock.advance(60)
    return await _verify(service, code, email, conv)


async def test_code_mail_and_successful_verification(account_service: RunningService) -> None:
    status, body = await _request(account_service)
    assert (status, body) == (202, {"status": "sent"})
    mails = await account_service.outbox(ANA)
    assert mails[-1]["subject"] == "Your one-time code"
    assert "10 minutes" in mails[-1]["body"]
    code = await account_service.latest_code(ANA)
    assert len(code) == 6 and code.isdigit()

    status, body = await _verify(account_service, code)
    assert status == 200
    assert body["status"] == "verified"
    assert isinstance(body["token"], str) and len(body["token"]) >= 40


async def test_code_with_spaces_and_upper_case_address(account_service: RunningService) -> None:
    await _request(account_service)
    code = await account_service.latest_code(ANA)
    spaced = f"  {code[:3]} {code[3:]} "
    status, body = await _verify(account_service, spaced, email="Ana.Silva@Example.com")
    assert status == 200 and body["status"] == "verified"


async def test_wrong_codes_count_down_then_the_code_is_dead(
    account_service: RunningService,
) -> None:
    await _request(account_service)
    code = await account_service.latest_code(ANA)

    assert await _verify(account_service, _wrong(code)) == (
        200,
        {"status": "wrong_code", "attempts_left": 2},
    )
    assert await _verify_later(account_service, _wrong(code)) == (
        200,
        {"status": "wrong_code", "attempts_left": 1},
    )
    assert await _verify_later(account_service, _wrong(code)) == (
        200,
        {"status": "too_many_attempts"},
    )
    # Even the right code no longer works once the tries are used up.
    assert await _verify_later(account_service, code) == (200, {"status": "too_many_attempts"})


async def test_new_code_after_dead_code_works(account_service: RunningService) -> None:
    await _request(account_service)
    code = await account_service.latest_code(ANA)
    for _ in range(3):
        await _verify_later(account_service, _wrong(code))
    await _request(account_service)
    fresh = await account_service.latest_code(ANA)
    status, body = await _verify_later(account_service, fresh)
    assert body["status"] == "verified"


async def test_code_is_single_use(account_service: RunningService) -> None:
    await _request(account_service)
    code = await account_service.latest_code(ANA)
    assert (await _verify(account_service, code))[1]["status"] == "verified"
    status, body = await _verify(account_service, code)
    assert status == 200
    assert body == {"status": "no_code"}


async def test_no_code_requested(account_service: RunningService) -> None:
    assert await _verify(account_service, "123456") == (200, {"status": "no_code"})


async def test_code_is_bound_to_its_conversation(account_service: RunningService) -> None:
    await _request(account_service, conv="conv-a")
    code = await account_service.latest_code(ANA)
    assert await _verify(account_service, code, conv="conv-b") == (200, {"status": "no_code"})
    assert (await _verify(account_service, code, conv="conv-a"))[1]["status"] == "verified"


async def test_newer_code_replaces_older_one(account_service: RunningService) -> None:
    await _request(account_service)
    first = await account_service.latest_code(ANA)
    await _request(account_service)
    second = await account_service.latest_code(ANA)
    if first != second:
        status, body = await _verify(account_service, first)
        assert body["status"] == "wrong_code"
    assert (await _verify_later(account_service, second))[1]["status"] == "verified"


async def test_code_expires_after_ten_minutes(account_service: RunningService) -> None:
    await _request(account_service)
    code = await account_service.latest_code(ANA)
    account_service.clock.advance(10 * 60 + 1)
    assert await _verify(account_service, code) == (200, {"status": "expired"})


async def test_code_still_valid_just_before_expiry(account_service: RunningService) -> None:
    await _request(account_service)
    code = await account_service.latest_code(ANA)
    account_service.clock.advance(10 * 60 - 5)
    assert (await _verify(account_service, code))[1]["status"] == "verified"


async def test_fourth_code_in_an_hour_is_refused(account_service: RunningService) -> None:
    for _ in range(3):
        assert (await _request(account_service))[0] == 202
        account_service.clock.advance(60)
    status, body = await _request(account_service)
    assert status == 429
    assert body["error"] == "too_many_codes"
    # The first code was asked 3 minutes ago, so the window frees up in 57 minutes.
    assert body["retry_after_seconds"] == 57 * 60
    assert len(await account_service.outbox(ANA)) == 3

    account_service.clock.advance(60 * 60)
    assert (await _request(account_service))[0] == 202


async def test_hourly_quota_is_per_address_across_conversations(
    account_service: RunningService,
) -> None:
    for index in range(3):
        await _request(account_service, conv=f"conv-{index}")
    status, _ = await _request(account_service, conv="conv-new")
    assert status == 429
    status, _ = await _request(account_service, email="ben.okafor@gmail.com", conv="conv-new")
    assert status == 202


async def test_quota_applies_to_unregistered_addresses_too(
    account_service: RunningService,
) -> None:
    nobody = "nobody.here@example.org"
    for _ in range(3):
        assert (await _request(account_service, email=nobody))[0] == 202
    assert (await _request(account_service, email=nobody))[0] == 429


async def test_token_expires_after_thirty_minutes(account_service: RunningService) -> None:
    token = await account_service.verified_token(ANA)
    headers = {"X-Verification-Token": token, "X-Conversation-Id": "conv-test"}
    account_service.clock.advance(29 * 60)
    assert (await account_service.call("GET", "/accounts/state", headers=headers))[0] == 200
    account_service.clock.advance(2 * 60)
    assert await account_service.call("GET", "/accounts/state", headers=headers) == (
        401,
        {"error": "invalid_token"},
    )


async def test_code_for_unregistered_address_is_mailed_and_verifiable(
    account_service: RunningService,
) -> None:
    nobody = "frank.muller@gmail.com"
    token = await account_service.verified_token(nobody)
    status, state = await account_service.call(
        "GET",
        "/accounts/state",
        headers={"X-Verification-Token": token, "X-Conversation-Id": "conv-test"},
    )
    assert status == 200
    assert state["exists"] is False


async def test_non_digit_code_counts_as_wrong(account_service: RunningService) -> None:
    await _request(account_service)
    assert await _verify(account_service, "abcdef") == (
        200,
        {"status": "wrong_code", "attempts_left": 2},
    )
