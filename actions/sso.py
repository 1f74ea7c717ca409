"""Single sign-on through an employer or university."""

from __future__ import annotations

from actions import flow
from actions.flow import Step, Topic, Turn
from actions.topic import TopicAction
from actions.typos import split_address


async def sso_path(turn: Turn) -> None:
    turn.say("sso_path")
    if not turn.known_email():
        turn.say("sso_ask_address")


async def domain_without_sso(turn: Turn, address: str) -> None:
    """An address whose domain needs no SSO: say so (a domain fact, not an account fact)."""
    turn.say("sso_domain_not_listed", domain=split_address(address)[1])
    flow.ask_outcome_here(turn)


flow.register(
    Topic(
        name="sso",
        steps=(Step("sso_path", sso_path),),
        checks_accounts=False,
        on_address=domain_without_sso,
    )
)


class ActionSsoLogin(TopicAction):
    action_name = "action_sso_login"
    topic = "sso"
