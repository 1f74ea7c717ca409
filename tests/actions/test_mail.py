"""Mails a learner asks for: the reset and verification emails, the same reply for any address."""

from __future__ import annotations

import pytest

from actions.account_check import ActionCheckAddress
from actions.email_verification import ActionSendVerificationEmail
from actions.login import ActionSendPasswordReset
from tests.support.actions import ActionLearner, joined


@pytest.mark.parametrize("address", ["ana.silva@example.com", "nobody.here@example.com"])
async def test_reset_mail_reply_is_the_same_for_any_address(
    learner: ActionLearner, address: str
) -> None:
    await learner.run(ActionCheckAddress(), address)
    reply = joined(await learner.run(ActionSendPasswordReset(), "yes", intent="affirm"))
    assert f"If an account uses {address}, the reset email is on its way" in reply


async def test_reset_mail_reaches_a_registered_address(learner: ActionLearner) -> None:
    assert learner.service is not None
    await learner.run(ActionCheckAddress(), "ana.silva@example.com")
    await learner.run(ActionSendPasswordReset(), "yes", intent="affirm")
    subjects = [m["subject"] for m in await learner.service.outbox("ana.silva@example.com")]
    assert subjects == ["Reset your password"]


async def test_a_proven_address_is_told_plainly(learner: ActionLearner) -> None:
    await learner.prove("ana.silva@example.com")
    reply = joined(await learner.run(ActionSendPasswordReset(), "yes", intent="affirm"))
    assert "the reset email is on its way to ana.silva@example.com" in reply


async def test_verification_email_goes_to_an_unverified_account(learner: ActionLearner) -> None:
    assert learner.service is not None
    await learner.run(ActionCheckAddress(), "chloe.martin@outlook.com")
    reply = joined(await learner.run(ActionSendVerificationEmail(), "chloe.martin@outlook.com"))
    assert "If chloe.martin@outlook.com belongs to an account that still needs verifying" in reply
    subjects = [m["subject"] for m in await learner.service.outbox("chloe.martin@outlook.com")]
    assert subjects == ["Action Required: Please confirm your email"]


async def test_no_address_no_mail(learner: ActionLearner) -> None:
    reply = joined(await learner.run(ActionSendPasswordReset(), "yes", intent="affirm"))
    assert "which other address would you like to use?" in reply
