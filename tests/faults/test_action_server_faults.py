"""The action server stops or crashes: the article's steps (stories and responses only)
go on without it, a turn that needs it gets an apology, never silence, and the
conversation carries on once it is back (REST and socket.io)."""

from __future__ import annotations

from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import RestLearner, SocketLearner
from tests.support.faults import FaultStack

FIRST_LOGIN_STEP = "Look closely at the email address you type when you log in"
ADDRESS = "my email is ana.silva@example.com"
CODE_OFFER = "shall I email a 6-digit code"


def test_rest_learner_gets_an_apology_while_the_action_server_is_down(
    faults: FaultStack,
) -> None:
    chat = RestLearner(faults.config)
    assert "What's going on?" in chat.text("hello")
    faults.stack.supervisor.stop("action-server")

    reply = chat.text("I can't log in")  # no custom action in this turn
    assert FIRST_LOGIN_STEP in reply and "Did that work?" in reply
    assert chat.say(ADDRESS) == [TROUBLE_REPLY]

    faults.stack.supervisor.start("action-server")
    assert CODE_OFFER in chat.text(ADDRESS)


def test_action_server_crash_mid_conversation_is_survived(faults: FaultStack) -> None:
    supervisor = faults.stack.supervisor
    chat = RestLearner(faults.config)
    assert FIRST_LOGIN_STEP in chat.text("I can't log in")
    crashed = supervisor.pid("action-server")
    supervisor.kill("action-server")

    # While it is down the turn gets the apology; once supervisord has restarted it (about
    # a second later) the turn is answered: never silence, never an error.
    replies = chat.say(ADDRESS)
    assert replies == [TROUBLE_REPLY] or CODE_OFFER in " ".join(replies)

    supervisor.wait_ready("action-server")
    assert supervisor.pid("action-server") != crashed
    # The conversation goes on where it was: the address is checked now.
    assert CODE_OFFER in chat.text(ADDRESS)
    kinds = [kind for kind, _ in chat.events()]
    assert kinds.count("user") == 3


def test_socketio_learner_gets_an_apology_while_the_action_server_is_down(
    faults: FaultStack,
) -> None:
    with SocketLearner(faults.config) as chat:
        assert any("What's going on?" in text for text in chat.say("hi"))
        faults.stack.supervisor.stop("action-server")
        assert chat.say(ADDRESS) == [TROUBLE_REPLY]
        faults.stack.supervisor.start("action-server")
        replies = chat.say(ADDRESS)
        assert any(CODE_OFFER in text for text in replies)
        assert TROUBLE_REPLY not in replies
