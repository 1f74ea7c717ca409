"""The live desk's handoffs on the insights page: asked, answered, left for a ticket, the
wait for an agent, and the outcomes, per section and step, from the account service's
own records."""

from __future__ import annotations

from pathlib import Path

from actions.account_client import AccountClient
from insights.measures import Measures, Period, engine_for
from tests.support.service_fixtures import run_service


async def test_handoffs_by_section_and_step(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    async with run_service(db) as service:
        client = AccountClient(service.url, service.api_key)
        await client.agent_seen("Sam")
        for conversation in ("c1", "c2", "c3"):
            await client.request_handoff(conversation, "login", "utter_login_social", True, None)
        service.clock.advance(60)
        await client.agent_seen("Sam")
        await client.take_handoff("c1", "Sam")
        service.clock.advance(120)
        await client.take_handoff("c2", "Sam")
        await client.end_handoff("c1", "Sam", "solved")
        await client.end_handoff("c2", "Sam", "not_solved")
        await client.leave_handoff("c3")
        await client.agent_seen("Sam")
        await client.request_handoff("c4", "sso", "none", False, None)
        day = Period.last_days(1)
        await client.close()
    insights = Measures(engine_for("sqlite://"), accounts_db=db).compute(day)
    rows = insights.table("live_handoffs").as_dicts()
    assert [(row["topic"], row["step"]) for row in rows] == [
        ("login", "login social"),
        ("sso", "none"),
        ("all", "all"),
    ]
    login, _, every = rows
    assert (login["requested"], login["answered"], login["abandoned"]) == (3, 2, 1)
    assert (login["solved"], login["not_solved"], login["waiting_now"]) == (1, 1, 0)
    assert (every["requested"], every["waiting_now"]) == (4, 1)
    assert (login["wait_p50_s"], login["wait_p95_s"]) == (60.0, 180.0)
    summary = insights.summary
    assert (summary["handoffs_requested"], summary["handoffs_answered"]) == (4, 2)
    assert (summary["handoffs_abandoned"], summary["handoff_wait_p50_s"]) == (1, 60.0)


def test_without_the_account_services_file_the_figures_are_unknown(tmp_path: Path) -> None:
    insights = Measures(engine_for("sqlite://"), accounts_db=tmp_path / "none.db").compute(
        Period.last_days(1)
    )
    assert insights.summary["handoffs_requested"] is None
    assert insights.table("live_handoffs").rows == []
