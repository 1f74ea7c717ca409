"""The Rasa server restarts mid-conversation: the conversation resumes where it was,
from the SQLite tracker store, and no event is lost."""

from __future__ import annotations

from tests.faults.conftest import FaultStack
from tests.stack_fixtures import RestChat, tracker_events


def test_conversation_resumes_after_a_rasa_restart(faults: FaultStack) -> None:
    chat = RestChat(faults.stack)
    chat.say("I can't log in")
    assert '"Forgot password?"' in chat.text("no, still stuck")
    db = faults.config.tracker_db
    before = tracker_events(db, chat.sender)
    assert [kind for kind, _ in before].count("user") == 2

    faults.stack.stop_process("rasa")
    faults.stack.start_rasa()

    assert tracker_events(db, chat.sender) == before
    # The next answer continues the same topic: the third login step, not a fresh start.
    reply = chat.text("no, still stuck")
    assert "Facebook, Google or Apple" in reply and "Did that work?" in reply
    assert '"Forgot password?"' not in reply and "Let's get you back in" not in reply
    after = tracker_events(db, chat.sender)
    assert after[: len(before)] == before
    assert [kind for kind, _ in after].count("user") == 3
