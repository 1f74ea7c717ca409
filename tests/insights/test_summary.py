"""The same SQL on SQLite and PostgreSQL, and a summary table that stays exact as
conversations arrive and are forgotten (seeded databases, fixed seed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from insights import sql
from insights.measures import Insights, Measures, Period
from insights.seed import seed
from insights.summary import MARKS, STATE, refresh
from privacy.forget import forget_tracker
from stack import postgres

PERIOD = Period.last_days(28)
# Both databases get the same timestamps: seeding later would shift every one of them.
NOW = time.time()


def figures(insights: Insights) -> dict[str, Any]:
    """Everything the page shows, minus the time it took."""
    return {
        "headline": insights.summary,
        **{name: table.rows for name, table in insights.tables.items()},
    }


def rebuilt(engine: sa.engine.Engine) -> dict[str, Any]:
    """The figures from a summary table made again from nothing."""
    with engine.begin() as connection:
        connection.execute(sa.text(f"DELETE FROM {STATE}"))
    return figures(Measures(engine).compute(PERIOD))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    seed(engine, 300, seed=11, now=NOW)
    sql.ensure_indexes(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not postgres.available():
        pytest.fail("PostgreSQL is missing: run `make system-deps` (make test does it for you).")
    with postgres.temporary_postgres() as url:
        yield url


def test_postgresql_gives_the_same_figures_as_sqlite(
    sqlite_engine: sa.engine.Engine, postgres_url: str
) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        seed(engine, 300, seed=11, now=NOW)
        sql.ensure_indexes(engine)
        on_postgres = figures(Measures(engine).compute(PERIOD))
    finally:
        engine.dispose()
    on_sqlite = figures(Measures(sqlite_engine).compute(PERIOD))
    assert on_sqlite["headline"]["conversations"] > 250
    # Latencies are differences of the same float timestamps: equal to the microsecond.
    assert on_postgres == on_sqlite


def test_new_conversations_update_the_summary_exactly(sqlite_engine: sa.engine.Engine) -> None:
    measures = Measures(sqlite_engine)
    before = measures.compute(PERIOD).summary["conversations"]
    seed(sqlite_engine, 40, days=1, seed=12, prefix="arrived")
    assert refresh(sqlite_engine, measures.article) == "updated"
    after = figures(measures.compute(PERIOD))
    assert after["headline"]["conversations"] == before + 40
    assert after == rebuilt(sqlite_engine)


def test_forget_removes_the_conversation_from_the_figures(
    sqlite_engine: sa.engine.Engine, tmp_path: Path
) -> None:
    measures = Measures(sqlite_engine)
    before = measures.compute(PERIOD)
    # A conversation from the middle of the 28 days: inside the period whatever the time of
    # day (the oldest ones start up to a day before its first whole day).
    forgotten = "seeded-0000150"
    assert forget_tracker(str(tmp_path / "tracker.db"), forgotten) > 0
    with sqlite_engine.connect() as connection:
        left = connection.execute(
            sa.text(f"SELECT COUNT(*) FROM {MARKS} WHERE sender_id = :s"), {"s": forgotten}
        ).scalar()
    assert left == 0
    # forget kept the summary's own count right: no rebuild needed, and nothing stale.
    assert refresh(sqlite_engine, measures.article) == "current"
    after = figures(measures.compute(PERIOD))
    assert after["headline"]["conversations"] == before.summary["conversations"] - 1
    assert after == rebuilt(sqlite_engine)


def test_rows_deleted_behind_its_back_rebuild_the_summary(sqlite_engine: sa.engine.Engine) -> None:
    measures = Measures(sqlite_engine)
    before = measures.compute(PERIOD).summary["conversations"]
    with sqlite_engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'seeded-0000151'"))
    assert refresh(sqlite_engine, measures.article) == "rebuilt"
    assert measures.compute(PERIOD).summary["conversations"] == before - 1
