"""Yes and no: what they mean depends on what the assistant asked last (`pending`)."""

from __future__ import annotations

from actions import account_check, flow
from actions.email_change import report_takeover
from actions.flow import Turn, TurnAction
from actions.handoff import hand_off


async def answer(turn: Turn, yes: bool) -> None:
    pending = turn.slot("pending")
    if pending in (flow.PENDING_STEP, flow.PENDING_SOLVED):
        if yes:
            flow.record_outcome(turn, True)
            turn.say("glad")
            turn.set("pending", None)
        elif pending == flow.PENDING_SOLVED:
            flow.record_outcome(turn, False)
            turn.say("sorry_not_solved")
            flow.offer_human(turn)
        else:
            await flow.advance(turn)
    elif pending == flow.PENDING_HANDOFF:
        if yes:
            await hand_off(turn)
        else:
            turn.say("anything_else")
            turn.set("pending", None)
    elif pending == flow.PENDING_OFFER_CODE:
        if yes:
            await account_check.send_code(turn)
        else:
            await account_check.continue_without_check(turn)
    elif pending == flow.PENDING_CODE:
        if yes:
            turn.say("ask_code_now")
        else:
            turn.say("code_not_arrived", email=turn.slot("code_email") or "your address")
            turn.say("code_way_forward")
            turn.set("pending", flow.PENDING_OFFER_CODE)
    elif pending == flow.PENDING_ADDRESS:
        if yes:
            turn.say("ask_email")
        else:
            await account_check.continue_without_check(turn)
    elif pending == flow.PENDING_CONFIRM_CHANGE:
        if yes:
            turn.say("use_new_address")
            flow.ask_outcome(turn, is_last=True)
        else:
            await report_takeover(turn)
    else:
        turn.say("nothing_pending")


class ActionAnswerYesNo(TurnAction):
    def name(self) -> str:
        return "action_answer_yes_no"

    async def handle(self, turn: Turn) -> None:
        intent = (turn.tracker.latest_message.get("intent") or {}).get("name")
        await answer(turn, yes=intent == "affirm")
