"""The kept-tracker SQL store against Rasa's own SQL store, on real SQLite files.

Every test compares with what `rasa.core.tracker_store.SQLTrackerStore` itself reads or
writes, so the speed-up cannot change what is stored or what a turn sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from privacy.forget import forget_tracker
from rasa_addons.tracker_store import CachedSQLTrackerStore, RowSpan, reusing_check

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def cached_store(domain: Domain, db: Path, **kwargs: int) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db), **kwargs)


def rasa_store(domain: Domain, db: Path) -> SQLTrackerStore:
    return SQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))


def learner_turn(text: str, address: str) -> list[Event]:
    return [
        UserUttered(text, intent={"name": "inform", "confidence": 1.0}),
        SlotSet("email", address),
        ActionExecuted("action_receive_inform"),
        BotUttered("Thanks, I'll check that address."),
        ActionExecuted("action_listen"),
    ]


async def take_turn(
    store: CachedSQLTrackerStore, tracker: DialogueStateTracker, address: str
) -> None:
    """The learner gives an address and the assistant answers; the turn is saved."""
    for event in learner_turn(address, address):
        tracker.update(event)
    await store.save(tracker)


async def new_conversation(store: CachedSQLTrackerStore, sender: str) -> DialogueStateTracker:
    tracker = await store.get_or_create_tracker(sender)
    for event in [ActionExecuted("action_session_start"), SessionStarted()]:
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


def events_of(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


def rows(db: Path) -> list[tuple]:
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as connection:
            result = connection.execute(
                sqlalchemy.text(
                    "SELECT sender_id, type_name, intent_name, action_name, data "
                    "FROM events ORDER BY id"
                )
            )
            return [tuple(row) for row in result]
    finally:
        engine.dispose()


async def test_writes_the_same_rows_as_rasas_store(domain: Domain, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    store, reference = cached_store(domain, ours), rasa_store(domain, theirs)
    tracker = await new_conversation(store, "learner")
    reference_tracker = reference.init_tracker("learner")
    for event in tracker.events:
        reference_tracker.update(event)
    await reference.save(reference_tracker)
    for text in ["I can't log in", "ana@example.com"]:
        tracker = await store.retrieve("learner")
        reference_tracker = await reference.retrieve("learner")
        assert tracker is not None and reference_tracker is not None
        for event in learner_turn(text, "ana@example.com"):
            tracker.update(event)
            reference_tracker.update(event)
        await store.save(tracker)
        await reference.save(reference_tracker)

    assert rows(ours) == rows(theirs)
    assert len(rows(ours)) == 4 + 2 * 5


async def test_reuses_a_current_tracker_without_reloading(domain: Domain, tmp_path: Path) -> None:
    store = cached_store(domain, tmp_path / "tracker.db")
    await new_conversation(store, "learner")
    first = await store.retrieve("learner")
    assert first is not None
    for event in learner_turn("hello", "ana@example.com"):
        first.update(event)
    await store.save(first)

    assert await store.retrieve("learner") is first
    reloaded = await rasa_store(domain, tmp_path / "tracker.db").retrieve("learner")
    assert events_of(reloaded) == events_of(first)


async def test_sees_turns_written_by_another_replica(domain: Domain, tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    replica_a, replica_b = cached_store(domain, db), cached_store(domain, db)
    await new_conversation(replica_a, "learner")
    tracker_a = await replica_a.retrieve("learner")

    tracker_b = await replica_b.retrieve("learner")
    assert tracker_b is not None
    for event in learner_turn("my address is ana@example.com", "ana@example.com"):
        tracker_b.update(event)
    await replica_b.save(tracker_b)

    seen_by_a = await replica_a.retrieve("learner")
    assert seen_by_a is not None and seen_by_a is not tracker_a
    assert seen_by_a.get_slot("email") == "ana@example.com"
    assert len(seen_by_a.events) == len(tracker_b.events)


async def test_a_forgotten_conversation_is_gone(domain: Domain, tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = cached_store(domain, db)
    tracker = await new_conversation(store, "learner")
    await take_turn(store, tracker, "ana@example.com")
    await new_conversation(store, "someone-else")

    assert forget_tracker(str(db), "learner") == 4 + 5
    assert await store.retrieve("learner") is None
    fresh = await store.get_or_create_tracker("learner")
    assert fresh.get_slot("email") is None
    assert await store.retrieve("someone-else") is not None


async def test_a_turn_that_failed_before_saving_leaves_no_trace(
    domain: Domain, tmp_path: Path
) -> None:
    store = cached_store(domain, tmp_path / "tracker.db")
    await new_conversation(store, "learner")
    tracker = await store.retrieve("learner")
    assert tracker is not None
    stored = len(tracker.events)
    tracker.update(UserUttered("half a turn", intent={"name": "inform", "confidence": 1.0}))
    tracker.update(SlotSet("email", "never-saved@example.com"))

    again = await store.retrieve("learner")
    assert again is not None and again is not tracker
    assert len(again.events) == stored
    assert again.get_slot("email") is None


async def test_a_new_session_loads_like_rasas_store(domain: Domain, tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = cached_store(domain, db)
    tracker = await new_conversation(store, "learner")
    await take_turn(store, tracker, "ana@example.com")
    tracker = await store.retrieve("learner")
    assert tracker is not None
    for event in [ActionExecuted("action_session_start"), SessionStarted()]:
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)

    ours = await store.retrieve("learner")
    theirs = await rasa_store(domain, db).retrieve("learner")
    assert events_of(ours) == events_of(theirs)
    assert len(events_of(ours)) < len(tracker.events)


async def test_keeps_at_most_the_configured_number(domain: Domain, tmp_path: Path) -> None:
    store = cached_store(domain, tmp_path / "tracker.db", kept_conversations=2)
    for sender in ["first", "second", "third"]:
        await new_conversation(store, sender)
        kept = await store.retrieve(sender)
        assert kept is not None
        kept.update(ActionExecuted("action_listen"))
        await store.save(kept)
    third = await store.retrieve("third")
    first = await store.retrieve("first")

    from_rasa = await rasa_store(domain, tmp_path / "tracker.db").retrieve("first")

    assert await store.retrieve("third") is third
    assert events_of(first) == events_of(from_rasa)
    assert len(store._kept) == 2


def test_rasa_builds_it_from_the_endpoints_file(domain: Domain, tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n"
        "  type: rasa_addons.tracker_store.CachedSQLTrackerStore\n"
        "  dialect: sqlite\n"
        f"  db: {tmp_path / 'tracker.db'}\n"
        "  kept_conversations: 3\n"
    )
    config = read_endpoint_config(str(endpoints), "tracker_store")

    store = TrackerStore.create(config, domain=domain)

    assert isinstance(store, CachedSQLTrackerStore)
    assert store.kept_conversations == 3


async def test_a_tracker_just_checked_serves_the_next_load_once_without_a_query(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = cached_store(domain, tmp_path / "tracker.db")
    await new_conversation(store, "learner")
    checked = await store.retrieve("learner")
    assert checked is not None
    events = len(checked.events)
    queries: list[str] = []
    rows_of = store._rows_of

    def counted(connection: Any, sender: str) -> RowSpan:
        queries.append(sender)
        return rows_of(connection, sender)

    monkeypatch.setattr(store, "_rows_of", counted)

    with reusing_check(checked):
        assert await store.retrieve("learner") is checked
        assert queries == []
        assert await store.retrieve("learner") is checked
    assert queries == ["learner"]
    # Changed since the check (a turn that failed half way): loaded again, as without it.
    cast(DialogueStateTracker, checked).update(
        UserUttered("hello", intent={"name": "greet", "confidence": 1.0})
    )
    with reusing_check(checked):
        reloaded = await store.retrieve("learner")
    assert reloaded is not None and reloaded is not checked
    assert len(reloaded.events) == events
