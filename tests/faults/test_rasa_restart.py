"""The Rasa server restarts mid-conversation: the conversation resumes where it was,
from the SQLite tracker store, and no event is lost."""

from __future__ import annotations

from stack.learner import RestLearner
from tests.support.faults import FaultStack


def test_conversation_resumes_after_a_rasa_restart(faults: FaultStack) -> None:
    chat = RestLearner(faults.config)
    chat.say("I can't log in")
    assert "our article on resetting your password" in chat.text("no, still stuck")
    before = chat.events()
    assert [kind for kind, _ in before].count("user") == 2

    faults.stack.supervisor.stop("rasa")
    faults.stack.supervisor.start("rasa")

    assert chat.events() == before
    # The next answer continues the same topic: the third login step, not a fresh start.
    reply = chat.text("no, still stuck")
    assert "Facebook, Google or Apple" in reply and "Did that work?" in reply
    assert (
        "our article on resetting your password" not in reply
        and "Let's get you back in" not in reply
    )
    after = chat.events()
    assert after[: len(before)] == before
    assert [kind for kind, _ in after].count("user") == 3
