"""The support desk's live queue in the account service: who can come, one place per
conversation, one agent per conversation, the queue's limits, and the outcome on the ticket."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from account_service.desk import AGENT_PRESENT_SECONDS, WAIT_LIMIT_SECONDS, DeskHours, DeskSettings
from actions.account_client import AccountClient
from tests.support.service_fixtures import FakeClock, RunningService, run_service

CLIENT = "0123456789abcdef"


async def ask(
    client: AccountClient, conversation: str, client_id: str | None = CLIENT, topic: str = "login"
):  # type: ignore[no-untyped-def]
    return await client.request_handoff(conversation, topic, "utter_login_social", False, client_id)


async def test_without_an_agent_present_there_is_no_place(account_client: AccountClient) -> None:
    assert (await ask(account_client, "c1")).status == "no_agent"


async def test_an_agent_whose_console_went_quiet_is_not_present(
    account_service: RunningService, account_client: AccountClient
) -> None:
    await account_client.agent_seen("Sam")
    account_service.clock.advance(AGENT_PRESENT_SECONDS + 1)
    assert (await ask(account_client, "c1")).status == "no_agent"


async def test_a_conversation_has_one_place_and_the_wait_grows_behind_it(
    account_client: AccountClient,
) -> None:
    await account_client.agent_seen("Sam")
    first = await ask(account_client, "c1")
    again = await ask(account_client, "c1")
    second = await ask(account_client, "c2", client_id="fedcba9876543210")
    assert (first.status, first.position) == ("waiting", 1)
    assert (again.status, again.position) == ("waiting", 1)
    assert (second.status, second.position) == ("waiting", 2)
    assert second.wait_minutes > first.wait_minutes
    _, queue = await account_client.handoff_queue()
    assert [entry["conversation_id"] for entry in queue] == ["c1", "c2"]


async def test_the_estimate_comes_from_the_waits_agents_answered_in(
    account_service: RunningService, account_client: AccountClient
) -> None:
    await account_client.agent_seen("Sam")
    await ask(account_client, "c1")
    account_service.clock.advance(7 * 60)
    await account_client.agent_seen("Sam")
    assert await account_client.take_handoff("c1", "Sam")
    assert (await ask(account_client, "c2")).wait_minutes == 7


async def test_one_agent_takes_a_conversation_and_only_they_end_it(
    account_service: RunningService, account_client: AccountClient
) -> None:
    await account_client.agent_seen("Sam")
    await account_client.agent_seen("Kim")
    await ask(account_client, "c1")
    assert await account_client.take_handoff("c1", "Sam")
    assert not await account_client.take_handoff("c1", "Kim")
    assert await account_client.handoff_holder("c1") == "Sam"
    assert (await ask(account_client, "c1")).status == "taken"
    assert not await account_client.end_handoff("c1", "Kim", "solved")
    assert await account_client.end_handoff("c1", "Sam", "solved")
    assert await account_client.handoff_holder("c1") is None


async def test_the_outcome_goes_onto_the_conversations_ticket(
    account_service: RunningService, account_client: AccountClient
) -> None:
    opened = await account_client.create_ticket("c1", "login", "normal", [], client=CLIENT)
    await account_client.agent_seen("Sam")
    await ask(account_client, "c1")
    await account_client.take_handoff("c1", "Sam")
    await account_client.end_handoff("c1", "Sam", "not_solved")
    status, ticket = await account_service.call("GET", f"/tickets/{opened.ticket_id}")
    assert status == 200
    assert [note["note"] for note in ticket["notes"]] == ["Live chat with Sam ended: not solved."]


async def test_leaving_the_queue_frees_the_place(account_client: AccountClient) -> None:
    await account_client.agent_seen("Sam")
    await ask(account_client, "c1")
    assert await account_client.leave_handoff("c1")
    assert not await account_client.leave_handoff("c1")
    assert not await account_client.take_handoff("c1", "Sam")
    assert (await account_client.handoff_queue())[1] == []


async def test_one_network_cannot_fill_the_queue(account_client: AccountClient) -> None:
    await account_client.agent_seen("Sam")
    statuses = [(await ask(account_client, f"c{index}")).status for index in range(7)]
    assert statuses == ["waiting"] * 5 + ["handoff_limit"] * 2


async def test_a_full_queue_offers_no_place(tmp_path: Path) -> None:
    async with run_service(tmp_path / "a.db", desk_settings=DeskSettings(queue_limit=2)) as service:
        client = AccountClient(service.url, service.api_key)
        await client.agent_seen("Sam")
        networks = ["0" * 15 + str(index) for index in range(3)]
        statuses = [
            (await ask(client, f"c{i}", client_id=n)).status for i, n in enumerate(networks)
        ]
        await client.close()
    assert statuses == ["waiting", "waiting", "queue_full"]


async def test_outside_the_desks_hours_there_is_no_place(tmp_path: Path) -> None:
    noon = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc).timestamp()
    hours = DeskHours.parse("13:00-17:00")
    async with run_service(
        tmp_path / "a.db", clock=FakeClock(noon), desk_settings=DeskSettings(hours=hours)
    ) as service:
        client = AccountClient(service.url, service.api_key)
        await client.agent_seen("Sam")
        before = await ask(client, "c1")
        service.clock.advance(3600)
        await client.agent_seen("Sam")
        during = await ask(client, "c1")
        await client.close()
    assert (before.status, during.status) == ("closed", "waiting")


@pytest.mark.parametrize(
    ("hours", "minute_of_day", "open_"),
    [
        ("09:00-17:00", 8 * 60 + 59, False),
        ("09:00-17:00", 9 * 60, True),
        ("22:00-06:00", 23 * 60, True),
        ("22:00-06:00", 12 * 60, False),
        ("00:00-24:00", 0, True),
    ],
)
def test_desk_hours_run_past_midnight(hours: str, minute_of_day: int, open_: bool) -> None:
    midnight = datetime(2026, 12, 4, tzinfo=timezone.utc).timestamp()
    assert DeskHours.parse(hours).open_at(midnight + minute_of_day * 60) is open_


@pytest.mark.parametrize("bad", ["9-17", "25:00-26:00", "09:00", "nine-five"])
def test_bad_desk_hours_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="HANDOFF_HOURS"):
        DeskHours.parse(bad)


@pytest.mark.parametrize("agent", ["", "1abc", "<script>", "x" * 41])
async def test_agent_names_are_checked(account_service: RunningService, agent: str) -> None:
    status, body = await account_service.call("POST", "/agents/seen", json={"agent": agent})
    assert (status, body) == (400, {"error": "invalid_agent"})


async def test_forgetting_a_conversation_forgets_its_handoffs(
    account_service: RunningService, account_client: AccountClient
) -> None:
    await account_client.agent_seen("Sam")
    await ask(account_client, "c1")
    deleted = await account_client.forget_conversation("c1")
    assert deleted["handoffs"] == 1
    assert (await account_client.handoff_queue())[1] == []


async def test_a_learner_waiting_past_the_limit_has_left(
    account_service: RunningService, account_client: AccountClient
) -> None:
    await account_client.agent_seen("Sam")
    await ask(account_client, "c1")
    account_service.clock.advance(WAIT_LIMIT_SECONDS + 1)
    await account_client.agent_seen("Sam")
    assert (await account_client.handoff_queue())[1] == []
    assert not await account_client.take_handoff("c1", "Sam")
    assert (await ask(account_client, "c1")).status == "waiting"  # asking again: a new place
