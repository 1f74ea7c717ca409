"""HTTP contract of the mock account service: auth, validation, mails, tickets, privacy."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest

from account_service.storage import TABLES
from tests.support.service_fixtures import FakeClock, RunningService, run_service

REGISTERED = "ana.silva@example.com"
UNREGISTERED = "not.a.learner@example.com"


async def test_health_needs_no_key(account_service: RunningService) -> None:
    assert await account_service.call("GET", "/health", auth=False) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/codes"),
        ("POST", "/codes/verify"),
        ("GET", "/accounts/state"),
        ("GET", "/domains/stateuniversity.edu/sso"),
        ("POST", "/password-reset"),
        ("POST", "/verification-email"),
        ("POST", "/tickets"),
        ("GET", "/tickets/CS-123456"),
        ("GET", f"/outbox?to={REGISTERED}"),
        ("DELETE", "/conversations/conv-1"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong-key", "clé-ñ"])
async def test_endpoints_require_api_key(
    account_service: RunningService, method: str, path: str, key: str | None
) -> None:
    headers = {"X-API-Key": key} if key else {}
    status, body = await account_service.call(method, path, headers=headers, auth=False)
    assert (status, body) == (401, {"error": "unauthorized"})


@pytest.mark.parametrize("path", ["/codes", "/password-reset", "/verification-email"])
@pytest.mark.parametrize(
    "email", ["", "plainaddress", "a@b", "two@@example.com", "x@example..com", "@example.com"]
)
async def test_malformed_address_is_rejected(
    account_service: RunningService, path: str, email: str
) -> None:
    status, body = await account_service.call(
        "POST", path, json={"email": email, "conversation_id": "conv-1"}
    )
    assert (status, body) == (400, {"error": "invalid_email"})


@pytest.mark.parametrize(
    "path",
    ["/codes", "/codes/verify", "/password-reset", "/verification-email", "/tickets"],
)
@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '"text"', "{}"])
async def test_bad_body_is_rejected_without_traceback(
    account_service: RunningService, path: str, payload: str
) -> None:
    status, body = await account_service.call(
        "POST", path, data=payload, headers={"Content-Type": "application/json"}
    )
    assert (status, body) == (400, {"error": "bad_request"})


async def test_missing_conversation_id_is_bad_request(account_service: RunningService) -> None:
    status, body = await account_service.call("POST", "/codes", json={"email": REGISTERED})
    assert (status, body) == (400, {"error": "bad_request"})


async def test_unknown_route_answers_json(account_service: RunningService) -> None:
    assert await account_service.call("GET", "/nope") == (404, {"error": "not_found"})


@pytest.mark.parametrize("path", ["/codes", "/password-reset", "/verification-email"])
async def test_same_answer_for_registered_and_unregistered(
    account_service: RunningService, path: str
) -> None:
    answers = []
    addresses = (REGISTERED, UNREGISTERED, "chloe.martin@outlook.com", "ben.okafor@gmail.com")
    for index, email in enumerate(addresses):
        answers.append(
            await account_service.call(
                "POST", path, json={"email": email, "conversation_id": f"conv-enum-{index}"}
            )
        )
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0][0] == 202


async def test_code_mail_is_the_same_for_registered_and_unregistered(
    account_service: RunningService,
) -> None:
    bodies = []
    for email in (REGISTERED, UNREGISTERED):
        await account_service.call(
            "POST", "/codes", json={"email": email, "conversation_id": "conv-1"}
        )
        mail = (await account_service.outbox(email))[-1]
        code = await account_service.latest_code(email)
        bodies.append((mail["subject"], mail["body"].replace(code, "<code>")))
    assert bodies[0] == bodies[1]


async def _reset(service: RunningService, email: str) -> dict:
    status, body = await service.call(
        "POST", "/password-reset", json={"email": email, "conversation_id": "conv-reset"}
    )
    assert (status, body) == (202, {"status": "accepted"})
    return (await service.outbox(email))[-1]


async def test_password_reset_mail_for_password_account(account_service: RunningService) -> None:
    mail = await _reset(account_service, REGISTERED)
    assert mail["subject"] == "Reset your password"
    assert re.search(r"http://localhost:8001/reset/[A-Za-z0-9_-]{20,}", mail["body"])


async def test_password_reset_mail_for_google_account(account_service: RunningService) -> None:
    mail = await _reset(account_service, "ben.okafor@gmail.com")
    assert mail["subject"] != "Reset your password"
    assert "Google" in mail["body"]
    assert "/reset/" not in mail["body"]


async def test_password_reset_mail_for_sso_account(account_service: RunningService) -> None:
    mail = await _reset(account_service, "david.kim@stateuniversity.edu")
    assert "State University" in mail["body"]
    assert "/reset/" not in mail["body"]


async def test_password_reset_mail_for_unknown_address(account_service: RunningService) -> None:
    mail = await _reset(account_service, "frank.muller@gmail.com")
    assert mail["subject"] == "Password reset request"
    assert "no account uses this address" in mail["body"]
    assert "another address" in mail["body"]


async def test_verification_mail_only_for_unverified_account(
    account_service: RunningService,
) -> None:
    for email in ("chloe.martin@outlook.com", REGISTERED, UNREGISTERED):
        status, _ = await account_service.call(
            "POST", "/verification-email", json={"email": email, "conversation_id": "conv-v"}
        )
        assert status == 202
    chloe = await account_service.outbox("chloe.martin@outlook.com")
    assert [m["subject"] for m in chloe] == ["Action Required: Please confirm your email"]
    assert "/confirm/" in chloe[0]["body"]
    assert await account_service.outbox(REGISTERED) == []
    assert await account_service.outbox(UNREGISTERED) == []


async def test_outbox_is_oldest_first_and_per_address(account_service: RunningService) -> None:
    await account_service.call(
        "POST", "/codes", json={"email": REGISTERED, "conversation_id": "conv-o"}
    )
    account_service.clock.advance(5)
    await _reset(account_service, REGISTERED)
    account_service.clock.advance(5)
    await _reset(account_service, "ben.okafor@gmail.com")
    mails = await account_service.outbox("ANA.SILVA@example.com")
    assert [m["subject"] for m in mails] == ["Your one-time code", "Reset your password"]
    assert mails[0]["sent_at"] < mails[1]["sent_at"]
    assert {m["to"] for m in mails} == {REGISTERED}
    assert set(mails[0]) == {"to", "subject", "body", "sent_at"}


async def test_outbox_needs_an_address(account_service: RunningService) -> None:
    assert await account_service.call("GET", "/outbox") == (400, {"error": "bad_request"})
    assert await account_service.call("GET", "/outbox", params={"to": "nope"}) == (
        400,
        {"error": "invalid_email"},
    )


async def test_ticket_masks_addresses_in_transcript(account_service: RunningService) -> None:
    transcript = [
        {"sender": "user", "text": "I can't log in with ana.silva@example.com"},
        {"sender": "bot", "text": "Sorry to hear that."},
        {"sender": "user", "text": "or maybe Emma.J.Jones@gmail.com, not sure"},
    ]
    status, body = await account_service.call(
        "POST",
        "/tickets",
        json={
            "conversation_id": "conv-t",
            "topic": "login",
            "priority": "high",
            "transcript": transcript,
            "email": REGISTERED,
        },
    )
    assert status == 201
    assert re.fullmatch(r"CS-\d{6}", body["ticket_id"])

    status, ticket = await account_service.call("GET", f"/tickets/{body['ticket_id']}")
    assert status == 200
    assert ticket["priority"] == "high"
    assert ticket["topic"] == "login"
    assert ticket["contact"] == REGISTERED
    [request] = ticket["requests"]
    assert request["transcript"] == [
        {"sender": "user", "learner_words": "I can't log in with a***@example.com"},
        {"sender": "bot", "text": "Sorry to hear that."},
        {"sender": "user", "learner_words": "or maybe E***@gmail.com, not sure"},
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"priority": "urgent"},
        {"transcript": [{"sender": "agent", "text": "hi"}]},
        {"transcript": [{"sender": "user"}]},
        {"topic": ""},
    ],
)
async def test_ticket_validation(account_service: RunningService, changes: dict) -> None:
    payload = {"conversation_id": "c", "topic": "login", "priority": "normal", "transcript": []}
    payload.update(changes)
    status, body = await account_service.call("POST", "/tickets", json=payload)
    assert status == 400
    assert body["error"] in ("bad_request", "invalid_email")


async def test_unknown_ticket(account_service: RunningService) -> None:
    assert await account_service.call("GET", "/tickets/CS-000000") == (
        404,
        {"error": "not_found"},
    )


async def test_forget_conversation_deletes_only_its_records(
    account_service: RunningService,
) -> None:
    token = await account_service.verified_token(REGISTERED, "conv-forget")
    await _reset(account_service, "ben.okafor@gmail.com")  # other conversation
    await account_service.call(
        "POST",
        "/password-reset",
        json={"email": REGISTERED, "conversation_id": "conv-forget"},
    )
    _, ticket = await account_service.call(
        "POST",
        "/tickets",
        json={"conversation_id": "conv-forget", "topic": "login", "transcript": []},
    )
    _, other_ticket = await account_service.call(
        "POST",
        "/tickets",
        json={"conversation_id": "conv-keep", "topic": "login", "transcript": []},
    )

    status, body = await account_service.call("DELETE", "/conversations/conv-forget")
    assert status == 200
    assert body == {
        "deleted": {
            "outbox": 2,
            "codes": 1,
            "tokens": 1,
            "tickets": 1,
            "ticket_requests": 1,
            "ticket_notes": 0,
            "handoffs": 0,
            "idempotent_answers": 0,
        }
    }

    assert await account_service.outbox(REGISTERED) == []
    assert len(await account_service.outbox("ben.okafor@gmail.com")) == 1
    status, _ = await account_service.call(
        "GET",
        "/accounts/state",
        headers={"X-Verification-Token": token, "X-Conversation-Id": "conv-forget"},
    )
    assert status == 401
    assert (await account_service.call("GET", f"/tickets/{ticket['ticket_id']}"))[0] == 404
    assert (await account_service.call("GET", f"/tickets/{other_ticket['ticket_id']}"))[0] == 200

    status, body = await account_service.call("DELETE", "/conversations/conv-forget")
    assert body == {
        "deleted": dict.fromkeys(
            (
                "outbox",
                "codes",
                "tokens",
                "tickets",
                "ticket_requests",
                "ticket_notes",
                "handoffs",
                "idempotent_answers",
            ),
            0,
        )
    }


def _counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


async def test_seeding_twice_does_not_duplicate(tmp_path: Path) -> None:
    db_path = tmp_path / "accounts.db"
    clock = FakeClock()
    async with run_service(db_path, clock) as service:
        assert (await service.call("GET", "/health"))[0] == 200
    first = _counts(db_path)
    assert first["accounts"] == 8
    assert first["domains"] == 2
    clock.advance(3600)
    async with run_service(db_path, clock) as service:
        token = await service.verified_token("grace.lee@example.com")
        _, state = await service.call(
            "GET",
            "/accounts/state",
            headers={"X-Verification-Token": token, "X-Conversation-Id": "conv-test"},
        )
    second = _counts(db_path)
    for table in ("accounts", "enrolments", "duplicates", "email_changes", "domains"):
        assert second[table] == first[table], table
    assert state["recent_email_change"]["days_ago"] == 2


async def test_logs_hold_no_addresses_codes_or_tokens(
    account_service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = await account_service.verified_token(REGISTERED)
    code = await account_service.latest_code(REGISTERED)
    await _reset(account_service, REGISTERED)
    await account_service.call(
        "POST",
        "/verification-email",
        json={"email": "chloe.martin@outlook.com", "conversation_id": "c"},
    )
    text = caplog.text
    assert "a***@example.com" in text
    for secret in (REGISTERED, "chloe.martin", code, token, "/reset/"):
        assert secret not in text


async def test_the_access_log_names_routes_not_conversations(
    account_service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await account_service.call("DELETE", "/conversations/conv-to-forget-4711")
    await account_service.call("GET", "/outbox", params={"to": REGISTERED})
    text = caplog.text
    assert "DELETE /conversations/{conversation_id} 200" in text
    assert "GET /outbox 200" in text
    assert "conv-to-forget-4711" not in text and REGISTERED not in text
