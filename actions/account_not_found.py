"""Section on the "We couldn't find an account associated with that email address" error.

Three causes in turn: another address, a typo made at sign-up (with concrete variants
of the typed address from a fixed list of domain misspellings), a social sign-in
that created a second account.
"""

from __future__ import annotations

from actions import flow
from actions.flow import Step, Topic, Turn
from actions.topic import TopicAction
from actions.typos import signup_variants


async def signup_typo(turn: Turn) -> None:
    address = turn.known_email()
    variants = signup_variants(address) if address else []
    if address and variants:
        turn.say("not_found_typo_variants", email=address, variants=", ".join(variants))
    else:
        turn.say("not_found_typo")


flow.register(
    Topic(
        name="account_not_found",
        intro="not_found_intro",
        steps=(
            flow.reply_step("not_found_other_address"),
            Step("not_found_typo", signup_typo),
            flow.reply_step("not_found_social"),
        ),
    )
)


class ActionAccountNotFound(TopicAction):
    action_name = "action_account_not_found"
    topic = "account_not_found"
