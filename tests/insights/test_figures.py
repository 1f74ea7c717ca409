"""The scripted conversations through the running stack give exactly the expected figures."""

from __future__ import annotations

import pytest

from insights.measures import Insights, Measures, Period, engine_for
from tests.insights import expected
from tests.insights.conftest import Scripted


@pytest.fixture(scope="module")
def insights(scripted: Scripted) -> Insights:
    config = scripted.stack.config
    measures = Measures(engine_for(config.tracker_db), accounts_db=config.var_dir / "accounts.db")
    return measures.compute(Period.last_days(2))


def test_summary(insights: Insights) -> None:
    assert {name: insights.summary[name] for name in expected.SUMMARY} == expected.SUMMARY
    assert sum(row[1] for row in insights.table("daily").rows) == 10


def test_resolution_per_step(insights: Insights) -> None:
    found = {
        (row["topic"], row["step"]): (
            row["asked"],
            row["solved"],
            row["not_solved"],
            row["switched"],
            row["person"],
            row["left"],
            row["other"],
        )
        for row in insights.table("steps").as_dicts()
    }
    assert found == expected.STEPS


def test_funnel_per_topic(insights: Insights) -> None:
    found: dict[str, tuple[int, ...]] = {}
    for row in insights.table("funnel").as_dicts():
        found[row["topic"]] = (*found.get(row["topic"], ()), row["reached"])
    assert found == expected.FUNNEL


def test_code_funnel(insights: Insights) -> None:
    found = {row["stage"]: row["conversations"] for row in insights.table("codes").as_dicts()}
    assert found == expected.CODES


def test_handoffs_by_topic_and_reason(insights: Insights) -> None:
    found = {
        (row["topic"], row["reason"]): row["conversations"]
        for row in insights.table("handoffs").as_dicts()
    }
    assert found == expected.HANDOFFS


def test_tickets_in_the_account_service(insights: Insights) -> None:
    found = {(row[0], row[1]): row[2] for row in insights.table("tickets").rows}
    assert found == expected.TICKETS


def test_misunderstood_messages_with_best_guesses(insights: Insights) -> None:
    listed = insights.table("misunderstood").as_dicts()
    assert [row["message"] for row in listed] == expected.MISUNDERSTOOD
    for row in listed:
        assert row["guess_1"] and row["guess_1"] != "nlu_fallback"
        assert 0 < row["confidence_1"] < 0.33  # below the fallback threshold in config.yml
    # "lost all my things" was acted on, but with little confidence.
    assert insights.summary["low_confidence"] >= 1
