"""A turn handled twice (a replica or action server died mid-turn) runs its action twice with
the same message id: the learner gets one mail or ticket request, and the same reply."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import ActionCheckAddress, ActionSendCode, ActionVerifyCode
from actions.email_verification import ActionSendVerificationEmail
from actions.handoff import ActionHandOver
from actions.login import ActionSendPasswordReset
from tests.support.actions import ActionLearner

# A password account still to be verified: each of the mail actions writes to its inbox.
ADDRESS = "chloe.martin@outlook.com"
ACTIONS = {
    "code": ActionSendCode,
    "reset": ActionSendPasswordReset,
    "confirmation": ActionSendVerificationEmail,
    "ticket": ActionHandOver,
}

Run = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def turn(learner: ActionLearner, message_id: str | None, text: str, intent: str) -> Tracker:
    """The tracker of one learner message, with the channel's message id."""
    tracker = learner.tracker(intent, text)
    tracker.latest_message["message_id"] = message_id
    return tracker


async def run(learner: ActionLearner, action: Action, tracker: Tracker) -> Run:
    """One run of `action` on a fresh copy of `tracker`: what it said and the events."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, copy.deepcopy(tracker), learner.domain.as_dict())
    return dispatcher.messages, events


def side_effects(learner: ActionLearner) -> int:
    """Mails written and ticket requests taken, read from the service's database."""
    assert learner.service is not None
    with sqlite3.connect(learner.service.db_path) as conn:
        mails = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        requests = conn.execute("SELECT COUNT(*) FROM ticket_requests").fetchone()[0]
    return int(mails + requests)


@pytest.mark.parametrize(
    ("message_ids", "effects"),
    [(("m-1", "m-1"), 1), (("m-1", "m-2"), 2), ((None, None), 2)],
    ids=["same turn", "two turns", "no message id"],
)
@pytest.mark.parametrize("name", sorted(ACTIONS))
async def test_a_turn_handled_twice_has_its_side_effect_once(
    learner: ActionLearner, name: str, message_ids: tuple[str | None, ...], effects: int
) -> None:
    await learner.run(ActionCheckAddress(), ADDRESS)
    before = side_effects(learner)
    # A turn handled again has the tracker it had the first time (nothing of it was stored).
    turns = {message_id: turn(learner, message_id, "yes", "affirm") for message_id in message_ids}
    runs = [await run(learner, ACTIONS[name](), turns[message_id]) for message_id in message_ids]
    assert side_effects(learner) - before == effects
    if effects == 1:  # handled again, the turn says and sets what it did the first time
        assert runs[0] == runs[1]


async def test_a_right_code_checked_again_in_its_turn_is_still_verified(
    learner: ActionLearner,
) -> None:
    assert learner.service is not None
    await learner.run(ActionCheckAddress(), ADDRESS)
    await learner.run(ActionSendCode(), "yes", intent="affirm")
    tracker = turn(learner, "m-code", await learner.service.latest_code(ADDRESS), "inform")
    first, again = [await run(learner, ActionVerifyCode(), tracker) for _ in range(2)]
    assert first == again
    slots = {event["name"]: event["value"] for event in first[1] if event["event"] == "slot"}
    assert slots["code_status"] == "verified" and slots["verification_token"]
