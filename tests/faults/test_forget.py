"""`make forget SENDER=<id>` removes one conversation everywhere and nothing else."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from contextlib import closing
from pathlib import Path

import pytest

import privacy.forget as forget_module
from stack.processes import ROOT, Stack, free_port
from tests.support.addresses import unique_address
from tests.support.forget import chat_with_code_and_ticket, make_forget, traces_in_files


def forget(
    stack: Stack, sender: str, account_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    config = stack.config
    env = {
        "ACCOUNT_SERVICE_URL": account_url or config.account_url,
        "ACCOUNT_SERVICE_API_KEY": config.api_key,
    }
    return make_forget(sender, f"TRACKER_DB={config.tracker_db}", env=env)


def test_forget_one_conversation(stack: Stack) -> None:
    gone_address, kept_address = unique_address("forget"), unique_address("keep")
    gone = chat_with_code_and_ticket(stack.config, gone_address)
    kept = chat_with_code_and_ticket(stack.config, kept_address)
    kept_events = kept.events()
    assert gone.events() and kept_events

    result = forget(stack, gone.sender)
    assert result.returncode == 0, result.stderr
    assert "1 tickets" in result.stdout and "1 outbox" in result.stdout

    assert gone.events() == []
    assert gone.outbox(gone_address) == []
    # A second run finds nothing left anywhere.
    again = forget(stack, gone.sender)
    assert again.returncode == 0, again.stderr
    assert "0 tracker events" in again.stdout
    assert "0 outbox, 0 codes, 0 tokens, 0 tickets" in again.stdout

    # The other conversation is untouched.
    assert kept.events() == kept_events
    assert len(kept.outbox(kept_address)) == 1
    # The forgotten learner can start again from scratch.
    assert "What's going on?" in gone.text("hi")


def test_forget_deletes_nothing_when_the_account_service_is_away(stack: Stack) -> None:
    address = unique_address("forget-later")
    chat = chat_with_code_and_ticket(stack.config, address)
    events = chat.events()
    result = forget(stack, chat.sender, account_url=f"http://127.0.0.1:{free_port()}")
    assert result.returncode != 0
    assert "nothing was deleted" in result.stderr
    assert chat.events() == events
    assert len(chat.outbox(address)) == 1


def test_forget_needs_a_sender() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "forget"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "usage: make forget SENDER=" in result.stderr


def test_nothing_of_a_forgotten_conversation_is_left_in_any_file(stack: Stack) -> None:
    """After `make forget`, no file of the stack (databases, their journals, logs) holds the
    conversation's id, its address or its client's network address."""
    address = unique_address("forget-everywhere")
    chat = chat_with_code_and_ticket(stack.config, address)
    result = forget(stack, chat.sender)
    assert result.returncode == 0, result.stderr
    config = stack.config
    traces = [chat.sender, address, chat.client]
    assert traces_in_files([config.var_dir, config.logs], traces) == []


def _tracker_db(path: Path, sender: str) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [(sender, f"{sender} said hello {n}") for n in range(50)],
        )
        db.commit()


@pytest.mark.parametrize("reader_leaves_after", [0.3, None])
def test_a_reader_holding_the_log_delays_the_deletion_or_fails_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader_leaves_after: float | None
) -> None:
    """While another connection reads (the Rasa server's), SQLite can't copy the overwritten
    pages into the file: forget waits for it, and says so when it never lets go, rather
    than report a conversation forgotten whose id is still in the file."""
    monkeypatch.setattr(forget_module, "CHECKPOINT_TRIES", 5)
    path, sender = tmp_path / "tracker.db", "learner-held-by-a-reader"
    _tracker_db(path, sender)
    reader = sqlite3.connect(path, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM events").fetchone()
    if reader_leaves_after is not None:
        threading.Timer(reader_leaves_after, reader.rollback).start()
        assert forget_module.forget_tracker(str(path), sender) == 50
        assert sender.encode() not in path.read_bytes()
    else:
        with pytest.raises(forget_module.WriteAheadLogBusy):
            forget_module.forget_tracker(str(path), sender)
    reader.close()
