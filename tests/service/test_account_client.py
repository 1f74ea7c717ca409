"""The actions' client against the real service, and against servers that misbehave."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from actions.account_client import (
    AccountClient,
    AccountServiceUnavailable,
    AccountState,
    Duplicate,
    EmailChange,
    Enrolment,
    InvalidEmail,
    MailRequestResult,
    TicketResult,
    get_client,
)
from tests.support.faults import FAULT_CLIENT_TIMEOUT, FAULT_MODES
from tests.support.service_fixtures import FaultServerFactory, RunningService

CONV = "conv-client"


async def _token(client: AccountClient, service: RunningService, email: str) -> str:
    assert (await client.request_code(email, CONV)).status == "sent"
    result = await client.verify_code(email, await service.latest_code(email), CONV)
    assert result.status == "verified" and result.token
    return result.token


async def test_code_flow_and_state(
    account_client: AccountClient, account_service: RunningService
) -> None:
    token = await _token(account_client, account_service, "emma.jones@yahoo.com")
    state = await account_client.account_state(token, CONV)
    assert state == AccountState(
        email="emma.jones@yahoo.com",
        exists=True,
        sign_in_methods=["password"],
        email_verified=True,
        sso_organization=None,
        recent_email_change=None,
        enrolments=[],
        likely_duplicates=[
            Duplicate(
                email_masked="e***@gmail.com",
                created_with="facebook",
                enrolments=[Enrolment(course="Financial Markets", status="in_progress")],
            )
        ],
    )


async def test_state_of_moved_address(
    account_client: AccountClient, account_service: RunningService
) -> None:
    token = await _token(account_client, account_service, "grace.lee@example.com")
    state = await account_client.account_state(token, CONV)
    assert state is not None and state.exists is False
    assert state.recent_email_change == EmailChange(
        new_email_masked="g***@protonmail.com", days_ago=2, by_owner=False
    )


async def test_wrong_code_statuses(
    account_client: AccountClient, account_service: RunningService
) -> None:
    email = "ana.silva@example.com"
    assert (await account_client.verify_code(email, "000000", CONV)).status == "no_code"
    await account_client.request_code(email, CONV)
    code = await account_service.latest_code(email)
    wrong = "111111" if code != "111111" else "222222"
    first = await account_client.verify_code(email, wrong, CONV)
    assert (first.status, first.attempts_left, first.token) == ("wrong_code", 2, None)
    too_soon = await account_client.verify_code(email, wrong, CONV)
    assert (too_soon.status, too_soon.retry_after_seconds) == ("slow_down", 1)
    account_service.clock.advance(1)
    await account_client.verify_code(email, wrong, CONV)
    account_service.clock.advance(2)
    assert (await account_client.verify_code(email, wrong, CONV)).status == "too_many_attempts"
    account_service.clock.advance(4)
    assert (await account_client.verify_code(email, code, CONV)).status == "too_many_attempts"


async def test_expired_code(account_client: AccountClient, account_service: RunningService) -> None:
    email = "ana.silva@example.com"
    await account_client.request_code(email, CONV)
    code = await account_service.latest_code(email)
    account_service.clock.advance(11 * 60)
    assert (await account_client.verify_code(email, code, CONV)).status == "expired"


async def test_too_many_codes(account_client: AccountClient) -> None:
    for _ in range(3):
        assert (await account_client.request_code("ben.okafor@gmail.com", CONV)).status == "sent"
    result = await account_client.request_code("ben.okafor@gmail.com", CONV)
    assert result.status == "too_many_codes"
    assert result.retry_after_seconds == 3600  # the fake clock stood still: a whole hour


async def test_invalid_email_answers(account_client: AccountClient) -> None:
    assert (await account_client.request_code("nope", CONV)).status == "invalid_email"
    assert (await account_client.verify_code("nope", "123456", CONV)).status == "invalid_email"
    with pytest.raises(InvalidEmail):
        await account_client.send_password_reset("nope", CONV)
    with pytest.raises(InvalidEmail):
        await account_client.send_verification_email("nope@", CONV)


async def test_invalid_token_gives_none(account_client: AccountClient) -> None:
    assert await account_client.account_state("made-up", CONV) is None


@pytest.mark.parametrize(
    ("domain", "organization"),
    [
        ("stateuniversity.edu", "State University"),
        ("david.kim@stateuniversity.edu", "State University"),
        ("globex-corp.com", "Globex Corporation"),
        ("gmail.com", None),
        ("not a domain/..", None),
        ("", None),
    ],
)
async def test_sso_organization(
    account_client: AccountClient, domain: str, organization: str | None
) -> None:
    assert await account_client.sso_organization(domain) == organization


async def test_mails_tickets_and_forgetting(
    account_client: AccountClient, account_service: RunningService
) -> None:
    reset = await account_client.send_password_reset("ana.silva@example.com", CONV)
    confirmation = await account_client.send_verification_email("chloe.martin@outlook.com", CONV)
    assert reset == confirmation == MailRequestResult(status="accepted")
    ana_mail = await account_client.outbox("ana.silva@example.com")
    assert [m["subject"] for m in ana_mail] == ["Reset your password"]
    chloe_mail = await account_client.outbox("chloe.martin@outlook.com")
    assert [m["subject"] for m in chloe_mail] == ["Action Required: Please confirm your email"]

    opened = await account_client.create_ticket(
        CONV,
        "email_change",
        "high",
        [{"sender": "user", "text": "my email was changed to grace.lee.new@protonmail.com"}],
        email="grace.lee@example.com",
    )
    assert opened.status == "opened" and opened.ticket_id
    status, ticket = await account_service.call("GET", f"/tickets/{opened.ticket_id}")
    assert status == 200
    words = ticket["requests"][0]["transcript"][0]["learner_words"]
    assert words == "my email was changed to g***@protonmail.com"
    assert ticket["contact"] == "grace.lee@example.com"
    again = await account_client.create_ticket(CONV, "login", "normal", [])
    assert again == TicketResult(status="added", ticket_id=opened.ticket_id)

    deleted = await account_client.forget_conversation(CONV)
    assert deleted == {
        "outbox": 2,
        "codes": 0,
        "tokens": 0,
        "tickets": 1,
        "ticket_requests": 2,
        "ticket_notes": 0,
        "handoffs": 0,
        "idempotent_answers": 0,
    }
    assert await account_client.outbox("ana.silva@example.com") == []


CHANGING_CALLS = {
    "request_code": lambda c, key: c.request_code(
        "ana.silva@example.com", CONV, idempotency_key=key
    ),
    "verify_code": lambda c, key: c.verify_code(
        "ana.silva@example.com", "123456", CONV, idempotency_key=key
    ),
    "send_password_reset": lambda c, key: c.send_password_reset(
        "ana.silva@example.com", CONV, idempotency_key=key
    ),
    "send_verification_email": lambda c, key: c.send_verification_email(
        "chloe.martin@outlook.com", CONV, idempotency_key=key
    ),
    "create_ticket": lambda c, key: c.create_ticket(
        CONV, "login", "normal", [], idempotency_key=key
    ),
}


@pytest.mark.parametrize("call", sorted(CHANGING_CALLS))
async def test_calls_that_change_something_send_their_key(
    account_client: AccountClient, account_service: RunningService, call: str
) -> None:
    first = await CHANGING_CALLS[call](account_client, "key-1")
    assert await CHANGING_CALLS[call](account_client, "key-1") == first
    with sqlite3.connect(account_service.db_path) as conn:
        [(kept,)] = conn.execute("SELECT COUNT(*) FROM idempotent_answers").fetchall()
    assert kept == 1


async def test_a_repeated_right_code_is_verified_with_the_same_token(
    account_client: AccountClient, account_service: RunningService
) -> None:
    email = "emma.jones@yahoo.com"
    await account_client.request_code(email, CONV)
    code = await account_service.latest_code(email)
    first = await account_client.verify_code(email, code, CONV, idempotency_key="turn-7")
    again = await account_client.verify_code(email, code, CONV, idempotency_key="turn-7")
    assert first.status == "verified" and first.token
    assert again == first
    state = await account_client.account_state(first.token, CONV)
    assert state is not None and state.email == email


async def test_wrong_api_key_is_unavailable(account_service: RunningService) -> None:
    client = AccountClient(account_service.url, "wrong", timeout=2)
    try:
        with pytest.raises(AccountServiceUnavailable):
            await client.request_code("ana.silva@example.com", CONV)
    finally:
        await client.close()


async def test_session_is_reused_and_recreated_after_close(
    account_client: AccountClient,
) -> None:
    assert account_client._session is None  # nothing is opened before the first call
    await account_client.sso_organization("gmail.com")
    session = account_client._session
    await account_client.sso_organization("gmail.com")
    assert account_client._session is session
    await account_client.close()
    assert await account_client.sso_organization("stateuniversity.edu") == "State University"
    assert account_client._session is not session


async def test_session_is_recreated_on_another_loop(account_service: RunningService) -> None:
    """Rasa may run an action on another loop than the one the session was made on."""
    client = AccountClient(account_service.url, account_service.api_key, timeout=2)
    worker = asyncio.new_event_loop()
    try:
        # The worker loop runs in a thread so this loop keeps serving the service meanwhile.
        first = await asyncio.to_thread(
            worker.run_until_complete, client.sso_organization("stateuniversity.edu")
        )
        assert first == "State University"
        assert await client.sso_organization("globex-corp.com") == "Globex Corporation"
        assert client._session_loop is asyncio.get_running_loop()
        # Let the worker loop finish closing the connections of the dropped session.
        await asyncio.to_thread(worker.run_until_complete, asyncio.sleep(0.01))
    finally:
        worker.close()
        await client.close()


def test_get_client_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import actions.account_client as module

    monkeypatch.setattr(module, "_shared", None)
    monkeypatch.setenv("ACCOUNT_SERVICE_URL", "http://127.0.0.1:9999/")
    monkeypatch.setenv("ACCOUNT_SERVICE_API_KEY", "from-env")
    monkeypatch.setenv("ACCOUNT_SERVICE_TIMEOUT", "1.5")
    client = get_client()
    assert client is get_client()
    assert client.base_url == "http://127.0.0.1:9999"
    assert client._api_key == "from-env"
    assert client._timeout.total == 1.5
    assert client._session is None


FAULT_CALLS = {
    "request_code": lambda c: c.request_code("ana.silva@example.com", CONV),
    "verify_code": lambda c: c.verify_code("ana.silva@example.com", "123456", CONV),
    "account_state": lambda c: c.account_state("token", CONV),
    "sso_organization": lambda c: c.sso_organization("stateuniversity.edu"),
    "send_password_reset": lambda c: c.send_password_reset("ana.silva@example.com", CONV),
    "send_verification_email": lambda c: c.send_verification_email("ana.silva@example.com", CONV),
    "create_ticket": lambda c: c.create_ticket(CONV, "login", "normal", []),
    "outbox": lambda c: c.outbox("ana.silva@example.com"),
    "forget_conversation": lambda c: c.forget_conversation(CONV),
}


# A client that ignored its timeout would hang on the "hang" fault: it fails here within a
# minute instead (a guard against hanging, not a measure of how fast the client gives up).
@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", FAULT_MODES)
@pytest.mark.parametrize("call", sorted(FAULT_CALLS))
async def test_faults_raise_unavailable(
    fault_server: FaultServerFactory, mode: str, call: str
) -> None:
    url = fault_server(mode)
    client = AccountClient(url, "test-key", timeout=FAULT_CLIENT_TIMEOUT)
    try:
        with pytest.raises(AccountServiceUnavailable) as caught:
            await FAULT_CALLS[call](client)
    finally:
        await client.close()
    message = str(caught.value)
    assert url not in message and "Traceback" not in message
    assert caught.value.__cause__ is None
