"""Section on an email change the learner didn't make: treat it as a possible takeover."""

from __future__ import annotations

from actions import flow
from actions.flow import Step, Topic, Turn, TurnAction
from actions.handoff import open_ticket


async def report_takeover(turn: Turn) -> None:
    """Opens a high-priority ticket at once and tells the learner how to protect themselves."""
    flow.enter(turn, "email_change")
    turn.say("email_change_alert")
    ticket_id = await open_ticket(turn, priority="high")
    if ticket_id:
        turn.say("email_change_ticket", ticket_id=ticket_id)
    else:
        turn.say("email_change_no_ticket")
    turn.set("pending", None)


flow.register(
    Topic(
        name="email_change",
        steps=(Step("email_change_ticket", report_takeover),),
        checks_accounts=False,
    )
)


class ActionUnrecognizedEmailChange(TurnAction):
    def name(self) -> str:
        return "action_unrecognized_email_change"

    async def handle(self, turn: Turn) -> None:
        await report_takeover(turn)
