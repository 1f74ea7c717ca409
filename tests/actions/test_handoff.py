"""Tickets: the conversation masked, the urgent queue for a takeover, a reply only to a
proven address."""

from __future__ import annotations

import re

from actions.account_check import ActionCheckAddress
from actions.handoff import ActionOpenTicket
from tests.support.actions import ActionLearner, joined


async def ticket_of(learner: ActionLearner, reply: str) -> dict:
    ticket_id = re.search(r"CS-\d+", reply)
    assert ticket_id, reply
    assert learner.service is not None
    status, ticket = await learner.service.call("GET", f"/tickets/{ticket_id.group(0)}")
    assert status == 200
    return dict(ticket)


async def test_a_proven_learner_is_told_where_support_will_reply(learner: ActionLearner) -> None:
    learner.slots["topic"] = "login"
    await learner.prove("ana.silva@example.com")
    reply = joined(await learner.run(ActionOpenTicket(), "talk to a person", "request_human"))
    assert "ana.silva@example.com as the address to reach you" in reply
    ticket = await ticket_of(learner, reply)
    [request] = ticket["requests"]
    transcript = " ".join(
        line.get("learner_words", line.get("text")) for line in request["transcript"]
    )
    assert "a***@example.com" in transcript and "ana.silva@example.com" not in transcript
    assert not re.search(r"\b\d{6}\b", transcript)
    assert ticket["topic"] == "login" and ticket["priority"] == "normal"


async def test_an_unproven_address_is_not_the_contact(learner: ActionLearner) -> None:
    await learner.run(ActionCheckAddress(), "the email on my account is now x@attacker.example")
    reply = joined(await learner.run(ActionOpenTicket(), "talk to a person", "request_human"))
    assert "I have no confirmed address for them to reach you at" in reply
    assert "Contact Us" in reply and "your account's email address" in reply
    assert "attacker" not in reply
    ticket = await ticket_of(learner, reply)
    assert ticket["contact"] == "unproven"


async def test_a_takeover_goes_to_the_urgent_queue(learner: ActionLearner) -> None:
    learner.slots["topic"] = "email_change"
    reply = joined(await learner.run(ActionOpenTicket(), "yes", "affirm"))
    assert (await ticket_of(learner, reply))["priority"] == "high"
    assert learner.slots["ticket_id"] and learner.slots["ticket_id"] in reply
