"""Idempotency keys: a request sent again with its key gets the first answer, and what it
changes (mail, code, token, ticket, limit event) is changed once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from account_service import mailer
from account_service.storage import TABLES
from tests.support.service_fixtures import RunningService

# A password account whose address is not verified yet: each mail endpoint writes a mail.
ADDRESS = "chloe.martin@outlook.com"
CONV = "conv-turn"
CLIENT = "0123456789abcdef"
KEY = "turn-key-1"
DAY = 24 * 60 * 60

# The rows one performed request adds, besides the kept answer.
EFFECTS = {
    "/codes": {"outbox": 1, "codes": 1, "limit_events": 1},
    "/codes/verify": {"tokens": 1, "limit_events": 1},
    "/password-reset": {"outbox": 1, "limit_events": 1},
    "/verification-email": {"outbox": 1, "limit_events": 1},
    "/tickets": {"tickets": 1, "ticket_requests": 1, "limit_events": 1},
}
PATHS = sorted(EFFECTS)

# Status, body bytes, Retry-After and Content-Type: all a caller sees.
Answer = tuple[int, bytes, str | None, str | None]


async def _send(
    service: RunningService, path: str, body: dict[str, Any], key: str | None = KEY
) -> Answer:
    headers = {"X-API-Key": service.api_key}
    if key is not None:
        headers["Idempotency-Key"] = key
    async with service.session.post(service.url + path, json=body, headers=headers) as response:
        return (
            response.status,
            await response.read(),
            response.headers.get("Retry-After"),
            response.headers.get("Content-Type"),
        )


async def _body(service: RunningService, path: str, conversation: str = CONV) -> dict[str, Any]:
    """A valid request to `path`; a code check gets a code mailed first (without a key)."""
    who = {"conversation_id": conversation, "client": CLIENT}
    if path == "/tickets":
        return {**who, "topic": "login", "transcript": [{"sender": "user", "text": "help"}]}
    if path == "/codes/verify":
        assert (await _send(service, "/codes", {**who, "email": ADDRESS}, key=None))[0] == 202
        return {**who, "email": ADDRESS, "code": await service.latest_code(ADDRESS)}
    return {**who, "email": ADDRESS}


def _rows(db_path: Path) -> Counter[str]:
    with sqlite3.connect(db_path) as conn:
        return Counter({t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES})


def _added(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    return {table: n for table, n in (after - before).items() if n}


@pytest.mark.parametrize("path", PATHS)
async def test_a_repeat_gets_the_first_answer_and_changes_nothing(
    account_service: RunningService, path: str
) -> None:
    body = await _body(account_service, path)
    before = _rows(account_service.db_path)
    first = await _send(account_service, path, body)
    performed = _rows(account_service.db_path)
    assert first[0] in (200, 201, 202), first
    assert _added(before, performed) == {**EFFECTS[path], "idempotent_answers": 1}
    for _ in range(2):
        assert await _send(account_service, path, body) == first
    assert _rows(account_service.db_path) == performed


@pytest.mark.parametrize("path", PATHS)
async def test_copies_arriving_together_are_performed_once(
    account_service: RunningService, path: str
) -> None:
    body = await _body(account_service, path)
    before = _rows(account_service.db_path)
    answers = await asyncio.gather(*(_send(account_service, path, body) for _ in range(3)))
    assert answers[0][0] in (200, 201, 202) and answers.count(answers[0]) == 3
    added = _added(before, _rows(account_service.db_path))
    assert added == {**EFFECTS[path], "idempotent_answers": 1}


async def test_a_repeated_refusal_is_the_same_refusal(account_service: RunningService) -> None:
    """A 429 is kept with its Retry-After, and the repeat counts no further mail."""
    for index in range(3):
        body = {"email": ADDRESS, "conversation_id": f"spent-{index}", "client": CLIENT}
        assert (await _send(account_service, "/password-reset", body, key=None))[0] == 202
    body = {"email": ADDRESS, "conversation_id": CONV, "client": CLIENT}
    first = await _send(account_service, "/password-reset", body)
    assert first[0] == 429 and first[2] == "900"
    account_service.clock.advance(60)
    before = _rows(account_service.db_path)
    assert await _send(account_service, "/password-reset", body) == first
    assert _rows(account_service.db_path) == before


@pytest.mark.parametrize("path", PATHS)
async def test_the_key_with_another_body_is_refused(
    account_service: RunningService, path: str
) -> None:
    body = await _body(account_service, path)
    first = await _send(account_service, path, body)
    before = _rows(account_service.db_path)
    other = await _send(account_service, path, {**body, "client": "fedcba9876543210"})
    assert other[:2] == (422, b'{"error": "idempotency_key_reused"}')
    assert _rows(account_service.db_path) == before
    assert await _send(account_service, path, body) == first


async def test_the_key_on_another_route_is_refused(account_service: RunningService) -> None:
    body = await _body(account_service, "/password-reset")
    assert (await _send(account_service, "/password-reset", body))[0] == 202
    other = await _send(account_service, "/verification-email", body)
    assert other[:2] == (422, b'{"error": "idempotency_key_reused"}')
    assert len(await account_service.outbox(ADDRESS)) == 1


@pytest.mark.parametrize("path", ["/codes", "/password-reset", "/verification-email"])
async def test_without_a_key_every_request_is_performed(
    account_service: RunningService, path: str
) -> None:
    body = await _body(account_service, path)
    first = await _send(account_service, path, body, key=None)
    second = await _send(account_service, path, body, key=None)
    assert first[0] == second[0] == 202
    assert len(await account_service.outbox(ADDRESS)) == 2
    assert _rows(account_service.db_path)["idempotent_answers"] == 0


@pytest.mark.parametrize(("length", "status"), [(200, 202), (201, 400)])
async def test_keys_are_up_to_200_characters(
    account_service: RunningService, length: int, status: int
) -> None:
    body = await _body(account_service, "/password-reset")
    answer = await _send(account_service, "/password-reset", body, key="k" * length)
    assert answer[0] == status
    assert len(await account_service.outbox(ADDRESS)) == (status == 202)


async def test_a_server_error_is_not_kept(
    account_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So a retry with the same key can still succeed."""
    real = mailer.confirm_email_mail
    failures = iter([RuntimeError("disk full")])

    def failing_once(link: str) -> mailer.Mail:
        for failure in failures:
            raise failure
        return real(link)

    monkeypatch.setattr(mailer, "confirm_email_mail", failing_once)
    body = await _body(account_service, "/verification-email")
    assert (await _send(account_service, "/verification-email", body))[0] == 500
    assert _rows(account_service.db_path)["idempotent_answers"] == 0
    assert (await _send(account_service, "/verification-email", body))[0] == 202
    assert len(await account_service.outbox(ADDRESS)) == 1


async def test_forgetting_a_conversation_deletes_its_kept_answers(
    account_service: RunningService,
) -> None:
    kept = await _body(account_service, "/tickets", "conv-keep")
    await _send(account_service, "/tickets", kept, key="kept")
    forgotten = await _body(account_service, "/tickets")
    first = await _send(account_service, "/tickets", forgotten)
    status, answer = await account_service.call("DELETE", f"/conversations/{CONV}")
    assert status == 200 and answer["deleted"]["idempotent_answers"] == 1
    # The key is unknown again: the request is performed and opens a new ticket.
    again = await _send(account_service, "/tickets", forgotten)
    assert again[0] == 201 and again != first
    before = _rows(account_service.db_path)
    await _send(account_service, "/tickets", kept, key="kept")
    assert _rows(account_service.db_path) == before


async def test_kept_answers_go_after_a_day(account_service: RunningService) -> None:
    body = await _body(account_service, "/password-reset")
    await _send(account_service, "/password-reset", body)
    account_service.clock.advance(DAY - 60)
    await _send(account_service, "/password-reset", body)
    assert len(await account_service.outbox(ADDRESS)) == 1
    account_service.clock.advance(120)
    await _send(account_service, "/password-reset", body)
    assert len(await account_service.outbox(ADDRESS)) == 2
    # Storing the new answer deleted the old one.
    assert _rows(account_service.db_path)["idempotent_answers"] == 1
