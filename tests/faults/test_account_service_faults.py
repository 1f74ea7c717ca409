"""The account service is down, slower than the timeout, or answers 500 or broken JSON:
the learner gets a short apology and the help article's general steps, nothing internal."""

from __future__ import annotations

import re

import pytest

from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import RestLearner
from tests.support.addresses import unique_address
from tests.support.faults import FAULT_MODES, FaultStack

SERVICE_DOWN = "I can't reach our account system at the moment"
INTERNALS = (
    "Traceback",
    "Exception",
    "Error",
    "error",
    "500",
    "json",
    "JSON",
    "127.0.0.1",
    "localhost",
    "http",
    "token",
    "unavailable",
)


# The replies' links to the help center's pages (common/links.py) are meant to be seen.
HELP_CENTER_LINK = re.compile(r"\]\(https?://[^)\s]+/help/[^)\s]+\)")


def assert_nothing_internal(replies: list[str]) -> None:
    for reply in replies:
        reply = HELP_CENTER_LINK.sub("]", reply)
        for word in INTERNALS:
            assert word not in reply, f"{word!r} in {reply!r}"


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_an_outage_at_the_address_leads_on_to_the_next_login_step(
    faults: FaultStack, mode: str
) -> None:
    chat = RestLearner(faults.config)
    chat.say("I can't log in")
    faults.account.set_mode(mode)
    # The SSO lookup is only a domain fact: without it the code is still offered.
    replies = chat.say("my email is ana.silva@example.com")
    assert_nothing_internal(replies)
    assert "shall I email a 6-digit code" in "\n".join(replies)
    replies = chat.say("yes, send the code")
    assert_nothing_internal(replies)
    reply = "\n".join(replies)
    assert SERVICE_DOWN in reply
    assert "our article on resetting your password" in reply and "Did that work?" in reply
    assert TROUBLE_REPLY not in replies


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_code_request_and_check_fall_back_to_the_general_steps(
    faults: FaultStack, mode: str
) -> None:
    chat = RestLearner(faults.config)
    address = unique_address("fault")
    chat.say("I can't log in")
    assert "shall I email a 6-digit code" in chat.text(f"my email is {address}")

    faults.account.set_mode(mode)
    replies = chat.say("yes, send the code")
    assert_nothing_internal(replies)
    assert SERVICE_DOWN in "\n".join(
        replies
    ) and "our article on resetting your password" in "\n".join(replies)

    # Back up: a code can be asked for and checked as usual.
    faults.account.set_mode("pass")
    assert "shall I email a 6-digit code" in chat.text(f"my email is {address}")
    assert "is on its way" in chat.text("yes, send the code")
    code = chat.latest_code(address)
    faults.account.set_mode(mode)
    replies = chat.say(code)
    assert_nothing_internal(replies)
    assert SERVICE_DOWN in "\n".join(replies)
