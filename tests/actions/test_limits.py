"""What the learner is told when the account service's limits refuse, and the slots the
stories branch on; one ticket per conversation."""

from __future__ import annotations

import re

import pytest

from actions.account_check import ActionCheckAddress, ActionSendCode, ActionVerifyCode
from actions.email_verification import ActionSendVerificationEmail
from actions.handoff import ActionHandOver
from actions.login import ActionSendPasswordReset
from tests.support.actions import ActionLearner, joined

PERSONAS = {"registered": "chloe.martin@outlook.com", "unregistered": "nobody.here@example.org"}
MAIL_ACTIONS = {"reset": ActionSendPasswordReset, "confirmation": ActionSendVerificationEmail}


@pytest.mark.parametrize("kind", sorted(MAIL_ACTIONS))
@pytest.mark.parametrize("persona", sorted(PERSONAS))
async def test_a_spent_mail_budget_says_when_to_ask_again(
    learner: ActionLearner, persona: str, kind: str
) -> None:
    await learner.run(ActionCheckAddress(), PERSONAS[persona])
    for _ in range(3):  # the conversation's three mails this hour
        await learner.run(MAIL_ACTIONS[kind](), "yes", intent="affirm")
        assert learner.slots["mail_status"] is None
    reply = joined(await learner.run(MAIL_ACTIONS[kind](), "yes", intent="affirm"))
    assert "I can't send another email to that address just now" in reply
    assert "about 60 minutes" in reply
    assert learner.slots["mail_status"] == "limit"


async def test_a_spent_mail_budget_stops_codes_too(learner: ActionLearner) -> None:
    for address in ("a1@example.org", "a2@example.org", "a3@example.org", "a4@example.org"):
        await learner.run(ActionCheckAddress(), address)
        reply = joined(await learner.run(ActionSendCode(), "yes", intent="affirm"))
    assert "I can't send another email" in reply
    assert learner.slots["code_status"] == "mail_limit"


async def test_wrong_codes_slow_down_then_block(learner: ActionLearner) -> None:
    assert learner.service is not None
    await learner.run(ActionCheckAddress(), PERSONAS["registered"])
    await learner.run(ActionSendCode(), "yes", intent="affirm")
    await learner.run(ActionVerifyCode(), "000000")
    reply = joined(await learner.run(ActionVerifyCode(), "000001"))
    assert "check it again in 1 s" in reply and learner.slots["code_status"] == "wait"
    for attempt in range(2, 8):  # a second and a third code; the pauses waited out
        learner.service.clock.advance(60)
        if attempt in (3, 6):
            await learner.run(ActionSendCode(), "yes", intent="affirm")
        said = joined(await learner.run(ActionVerifyCode(), f"00000{attempt}"))
    # Six wrong codes in the conversation within the hour; the first frees in 54 minutes.
    assert "too many wrong codes for now" in said and "about 54 minutes" in said
    assert learner.slots["code_status"] == "blocked"


async def test_talk_to_a_person_twice_gives_the_same_ticket(learner: ActionLearner) -> None:
    first = joined(await learner.run(ActionHandOver(), "talk to a person", "request_human"))
    second = joined(await learner.run(ActionHandOver(), "a person please", "request_human"))
    number = re.search(r"CS-\d+", first)
    assert number and number.group(0) in second
    assert "You already have a ticket" in second and "added this request to it" in second
    assert "Contact Us" in second and "your account's email address" in second
