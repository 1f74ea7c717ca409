"""Section "I can't verify my email": find the confirmation email, or have it sent again."""

from __future__ import annotations

from actions import account_check, flow
from actions.flow import Step, Topic, Turn
from actions.topic import TopicAction


async def resend(turn: Turn) -> None:
    address = turn.known_email()
    if address:
        await account_check.send_verification_email(turn, address)
    else:
        turn.say("verification_offer_resend")


async def resend_to(turn: Turn, address: str) -> None:
    """A typed address is used for the resend at once: the reply is the same for any address."""
    await account_check.send_verification_email(turn, address)
    flow.enter(turn, "email_verification", "verification_resend")
    flow.ask_outcome(turn, is_last=True)


flow.register(
    Topic(
        name="email_verification",
        steps=(flow.reply_step("verification_search"), Step("verification_resend", resend)),
        on_address=resend_to,
    )
)


class ActionVerificationEmailMissing(TopicAction):
    action_name = "action_verification_email_missing"
    topic = "email_verification"
