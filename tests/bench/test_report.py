"""The benchmark's parts against the test session's stack, with short settings: repeats that
take turns, spreads and ratios of medians, the length curve over seeded conversations
(sessions that expired and one that did not), and the kept-tracker cache's bound.
No timing is asserted: the targets live in the report."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from bench import history, length, plots, profile, scale, seed
from bench.conversations import LearnerFactory
from bench.report import ceiling, ratios, summarize
from bench.rss import RssSampler
from bench.runs import CONFIGURATIONS, Running, measure_levels
from bench.stats import knee, spread
from stack.learner import RestLearner
from stack.load import Driver
from stack.processes import Stack


def test_spread_and_knee() -> None:
    assert spread([3.0, None, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert spread([None]) is None
    # 90 % of the peak (100) is first reached at 20 conversations.
    assert knee([(1, 30.0), (10, 80.0), (20, 95.0), (50, 100.0), (100, 97.0)]) == 20


def _running(stack: Stack, name: str) -> Running:
    config = stack.config
    tag = uuid.uuid4().hex[:8]
    factory = LearnerFactory(f"report-{tag}", persona_every=10**9, address_tag=f"{tag}-")
    pids = stack.pids()
    sampler = RssSampler(
        {
            "rasa": pids["rasa"],
            "actions": pids["action-server"],
            "accounts": pids["account-service"],
        }
    ).start()
    driver = Driver(config, factory)
    result = {"startup_s": {"rasa_ready": 10.0}}
    return Running(CONFIGURATIONS[name], stack, driver, sampler, result)


def test_repeats_give_spreads_and_ratios_of_medians(stack: Stack, tmp_path: Path) -> None:
    # The same stack stands in for two configurations: the report's structure is the point.
    runs = [_running(stack, "ours"), _running(stack, "stock")]
    measure_levels(runs, [1, 20], repeats=2, seconds=1.0)
    for running in runs:
        running.sampler.stop()
    configurations = {r.configuration.name: summarize(r) for r in runs}

    for run in configurations.values():
        assert [level["concurrency"] for level in run["levels"]] == [1, 20]
        for level in run["levels"]:
            assert len(level["samples"]) == 2
            assert level["turns_per_s"]["n"] == 2
            assert level["turns_per_s"]["min"] <= level["turns_per_s"]["median"]
            assert level["failed_turns_total"] == 0, level["samples"][0]["error_samples"]
            assert level["cpu_ms_per_turn.rasa"]["median"] > 0
        assert run["knee"] in (1, 20)
        assert run["peak_rss_mb"]["rasa"] > 0
    ratio = ratios(configurations)["ours / stock"]
    assert ratio["shows"] == "total"
    assert ratio["turns_per_s_at_20"] is not None and ratio["p50_single_user"] is not None
    top = ceiling(configurations["ours"], cores=2)
    assert top is not None and top["ceiling_turns_per_s"] > 0
    plots.traffic(configurations, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").stat().st_size > 1000


def _sessions_started(db: Path, sender: str) -> int:
    with closing(sqlite3.connect(db)) as connection:
        query = "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'session_started'"
        return int(connection.execute(query, (sender,)).fetchone()[0])


def test_length_points_continue_seeded_conversations(stack: Stack, tmp_path: Path) -> None:
    learner = RestLearner(stack.config)
    for text in ("hi", "I forgot my password", "no"):
        assert learner.replies_to(text)
    db = stack.config.tracker_db

    curve = length.measure(
        stack.config.rasa_url, db, stack.pids()["rasa"], checkpoints=(10, 40), sessions=3, live=4
    )

    points = curve["points"]
    assert [p["point"] for p in points] == ["turn 10", "turn 40", "3 sessions"]
    assert all(p["failed_turns"] == 0 for p in points)
    assert points[0]["p50_over_first_point"] == 1.0
    # One open session goes on; three expired ones are followed by a fourth, opened live.
    assert _sessions_started(db, points[1]["sender"]) == 1
    assert _sessions_started(db, points[2]["sender"]) == 4
    parts = history.measure(db, [p["sender"] for p in points[:2]])
    assert [part["events"] > 0 for part in parts] == [True, True]
    assert parts[1]["events"] > parts[0]["events"]
    plots.length({"ours": curve}, tmp_path / "length.png")
    assert (tmp_path / "length.png").stat().st_size > 1000


def test_kept_trackers_stay_within_their_bound(stack: Stack, tmp_path: Path) -> None:
    learner = RestLearner(stack.config)
    for text in ("hello", "are you a bot?"):
        assert learner.replies_to(text)
    tmpl = seed.template(stack.config.tracker_db)
    db = tmp_path / "tracker.db"
    events = scale.seed_store(tmpl, db, 60)
    per_conversation = len(tmpl.opening) + sum(
        map(len, tmpl.turn_rows(scale.TURNS_PER_CONVERSATION))
    )
    assert events == 60 * per_conversation

    measured = scale.kept_memory(db, 60, kept=25)

    assert measured["conversations_loaded"] == 60
    assert measured["kept"] == 25


def test_profile_shares_count_each_part_with_what_it_calls(tmp_path: Path) -> None:
    once = "handle_message_once (rasa_addons/turns.py:70)"
    load = "retrieve (rasa_addons/tracker_store.py:120)"
    processor = "handle_message (rasa/core/processor.py:150)"
    collapsed = tmp_path / "py-spy.txt"
    collapsed.write_text(
        f"main (x.py:1);{once};{load} 3\n"
        f"main (x.py:1);{once};{processor};{load} 1\n"
        f"main (x.py:1);{once};{processor} 4\n"
    )

    measured = profile.shares(collapsed, top=2)

    assert measured["samples"] == 8
    assert measured["parts"]["tracker store: loads"] == 0.5
    assert measured["parts"]["turn-id check (outside the processor)"] == 0.375
    # Ties in name order.
    assert list(measured["frames"]) == ["handle_message_once (rasa_addons/turns.py)", "main (x.py)"]


@pytest.mark.parametrize("count", [1, 7, 8, 9, 20])
def test_seeded_turns_always_end_with_the_templates_last_turn(count: int) -> None:
    """Every length point continues from the same state of the conversation."""
    turns: list[list[seed.Row]] = [[("user", f"intent_{n}", None, {})] for n in range(8)]
    rows = list(seed.Template(opening=[], turns=turns).turn_rows(count))
    assert len(rows) == count
    assert rows[-1] is turns[-1]
    assert rows == [turns[n % 8] for n in range(-count, 0)]
