"""An email change the learner didn't make: urgent ticket and protective steps."""

from __future__ import annotations

import re

from actions.email_change import ActionUnrecognizedEmailChange
from tests.actions.conftest import Chat, joined


async def test_opens_a_high_priority_ticket_with_a_masked_transcript(chat: Chat) -> None:
    await chat.inform("my address is grace.lee@example.com")
    reply = joined(
        await chat.send(
            ActionUnrecognizedEmailChange(), "unrecognized_email_change", "my email was changed!"
        )
    )
    ticket = re.search(r"CS-\d+", reply)
    assert ticket and "secure your mailbox" in reply and "Forgot password?" in reply
    assert chat.service is not None
    _, stored = await chat.service.call("GET", f"/tickets/{ticket.group(0)}")
    assert stored["priority"] == "high"
    assert "grace.lee@example.com" not in str(stored["transcript"])
    assert "g***@example.com" in str(stored["transcript"])


async def test_without_the_service_the_learner_still_gets_the_steps(faulty_chat) -> None:
    chat = await faulty_chat("down")
    reply = joined(
        await chat.send(ActionUnrecognizedEmailChange(), "unrecognized_email_change", "hacked")
    )
    assert "Contact Us" in reply and "reset your account password" in reply
