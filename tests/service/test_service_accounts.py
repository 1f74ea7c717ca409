"""Account facts are served per seed persona, and only for a valid verification token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.service_fixtures import RunningService


def _state(email: str, **facts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "email": email,
        "exists": True,
        "sign_in_methods": ["password"],
        "email_verified": True,
        "sso_organization": None,
        "recent_email_change": None,
        "enrolments": [],
        "likely_duplicates": [],
    }
    base.update(facts)
    return base


def _missing(email: str, **facts: Any) -> dict[str, Any]:
    return _state(email, exists=False, sign_in_methods=[], email_verified=False, **facts)


PERSONAS = {
    "ana.silva@example.com": _state(
        "ana.silva@example.com",
        enrolments=[
            {"course": "Machine Learning", "status": "in_progress"},
            {"course": "Learning How to Learn", "status": "in_progress"},
            {"course": "The Science of Well-Being", "status": "completed"},
        ],
    ),
    "ben.okafor@gmail.com": _state(
        "ben.okafor@gmail.com",
        sign_in_methods=["google"],
        enrolments=[{"course": "Python for Everybody", "status": "in_progress"}],
    ),
    "chloe.martin@outlook.com": _state("chloe.martin@outlook.com", email_verified=False),
    "david.kim@stateuniversity.edu": _state(
        "david.kim@stateuniversity.edu",
        sign_in_methods=["sso"],
        sso_organization="State University",
        enrolments=[{"course": "Introduction to Statistics", "status": "in_progress"}],
    ),
    "emma.jones@yahoo.com": _state(
        "emma.jones@yahoo.com",
        likely_duplicates=[
            {
                "email_masked": "e***@gmail.com",
                "created_with": "facebook",
                "enrolments": [{"course": "Financial Markets", "status": "in_progress"}],
            }
        ],
    ),
    "emma.j.jones@gmail.com": _state(
        "emma.j.jones@gmail.com",
        sign_in_methods=["facebook"],
        enrolments=[{"course": "Financial Markets", "status": "in_progress"}],
        likely_duplicates=[
            {"email_masked": "e***@yahoo.com", "created_with": "password", "enrolments": []}
        ],
    ),
    "frank.muller@gmial.com": _state(
        "frank.muller@gmial.com",
        enrolments=[{"course": "English for Career Development", "status": "in_progress"}],
    ),
    "frank.muller@gmail.com": _missing("frank.muller@gmail.com"),
    "grace.lee@example.com": _missing(
        "grace.lee@example.com",
        recent_email_change={
            "new_email_masked": "g***@protonmail.com",
            "days_ago": 2,
            "by_owner": False,
        },
    ),
    "grace.lee.new@protonmail.com": _state(
        "grace.lee.new@protonmail.com",
        enrolments=[
            {"course": "Foundations of User Experience (UX) Design", "status": "in_progress"}
        ],
    ),
    "someone.else@example.org": _missing("someone.else@example.org"),
}


async def _state_for(
    service: RunningService, token: str, conversation_id: str = "conv-test"
) -> tuple[int, Any]:
    headers = {"X-Verification-Token": token, "X-Conversation-Id": conversation_id}
    return await service.call("GET", "/accounts/state", headers=headers)


@pytest.mark.parametrize("email", sorted(PERSONAS))
async def test_account_state_per_persona(account_service: RunningService, email: str) -> None:
    token = await account_service.verified_token(email)
    status, body = await _state_for(account_service, token)
    assert status == 200
    assert body == PERSONAS[email]


async def test_email_change_is_reported_for_days_after_it(
    account_service: RunningService,
) -> None:
    account_service.clock.advance(24 * 60 * 60)
    token = await account_service.verified_token("grace.lee@example.com")
    _, body = await _state_for(account_service, token)
    assert body["recent_email_change"]["days_ago"] == 3


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43])
async def test_invalid_token_is_rejected(account_service: RunningService, token: str) -> None:
    headers = {"X-Verification-Token": token} if token else {}
    status, body = await account_service.call("GET", "/accounts/state", headers=headers)
    assert (status, body) == (401, {"error": "invalid_token"})


async def test_token_only_reveals_its_own_address(account_service: RunningService) -> None:
    ana = await account_service.verified_token("ana.silva@example.com", "conv-ana")
    ben = await account_service.verified_token("ben.okafor@gmail.com", "conv-ben")
    _, ana_state = await _state_for(account_service, ana, "conv-ana")
    _, ben_state = await _state_for(account_service, ben, "conv-ben")
    assert ana_state["email"] == "ana.silva@example.com"
    assert ben_state["email"] == "ben.okafor@gmail.com"
    assert "Machine Learning" not in str(ben_state)
    # The endpoint takes no address at all: only the token decides whose facts are served.
    status, body = await account_service.call(
        "GET",
        "/accounts/state",
        headers={"X-Verification-Token": ben, "X-Conversation-Id": "conv-ben"},
        params={"email": "ana.silva@example.com"},
    )
    assert status == 200 and body["email"] == "ben.okafor@gmail.com"


async def test_state_needs_api_key_as_well(account_service: RunningService) -> None:
    token = await account_service.verified_token("ana.silva@example.com")
    status, body = await account_service.call(
        "GET", "/accounts/state", headers={"X-Verification-Token": token}, auth=False
    )
    assert status == 401 and body == {"error": "unauthorized"}


@pytest.mark.parametrize(
    ("domain", "organization", "required"),
    [
        ("stateuniversity.edu", "State University", True),
        ("STATEUNIVERSITY.EDU", "State University", True),
        ("globex-corp.com", "Globex Corporation", True),
        ("gmail.com", None, False),
    ],
)
async def test_domain_sso(
    account_service: RunningService, domain: str, organization: str | None, required: bool
) -> None:
    status, body = await account_service.call("GET", f"/domains/{domain}/sso")
    assert status == 200
    assert body == {
        "domain": domain.lower(),
        "organization": organization,
        "sso_required": required,
    }


async def test_malformed_domain(account_service: RunningService) -> None:
    status, body = await account_service.call("GET", "/domains/not_a_domain/sso")
    assert (status, body) == (400, {"error": "invalid_domain"})
