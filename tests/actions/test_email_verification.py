"""Can't verify my email: the subject to search for, then a resend."""

from __future__ import annotations

import pytest

from actions.email_verification import ActionVerificationEmailMissing
from tests.actions.conftest import Chat, joined


@pytest.mark.parametrize(
    ("address", "gets_email"),
    [
        ("chloe.martin@outlook.com", True),
        ("ana.silva@example.com", False),
        ("no.one@example.com", False),
    ],
)
async def test_resend_reply_is_the_same_whatever_the_account(
    chat: Chat, address: str, gets_email: bool
) -> None:
    first = joined(await chat.send(ActionVerificationEmailMissing(), "verification_email_missing"))
    assert "Action Required: Please confirm your email" in first and "spam" in first
    asked = joined(await chat.no())
    assert "Which address did you sign up with?" in asked
    reply = joined(await chat.inform(address))
    assert reply.startswith(f"If {address} belongs to an account that still needs confirming")
    assert chat.service is not None
    subjects = [m["subject"] for m in await chat.service.outbox(address)]
    assert ("Action Required: Please confirm your email" in subjects) is gets_email
