"""The article's walks as ordered steps, each in the forms the assistant gives it, and the
rest of a walk the learner left.

A learner may ask about a second account in the middle of the login walk, of "missing
courses" or of the "couldn't find an account" causes (the last login step, the second
courses step, the third cause). When that side section ends
without success, the walk they left goes on with its steps not given yet, in the
article's order, before a person is offered; a step already given (in any of its forms)
is not given again. The stories of data/stories/ give every walk taken from its start;
this is the one place that picks steps by what was said, because a walk resumed after a
side section can't be a story (its steps depend on where it was left).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.off_script import (
    bot_messages,
    response_name,
    said,
    session_history,
    split_at_latest_message,
    step_questions_asked,
    walk_asked_at,
    walk_of,
)
from actions.steps import WALK_OF_RESPONSE, WALKS, Step

Events = list[dict[str, Any]]


# The walk a proven account's state sends the learner through, when some of its steps were
# given before the proof (actions/account_check.py): only the rest of it.
PROVEN_WALKS = {
    "rest_of_not_found": "account_not_found",
    "duplicates_login": "login",
    "social_only": "login",
}


def walks_to_go_on(tracker: Tracker) -> list[str]:
    """The walks whose steps not given yet come next, in this order: after a "no" to a step
    this action gave, that step's walk; right after a proof whose state sends the learner
    through a walk (PROVEN_WALKS), that walk; then the current section's walk; then the
    walks the learner left."""
    before, this_turn = split_at_latest_message(session_history(tracker))
    actions = [e.get("name") for e in before if e.get("event") == "action"]
    first = None
    if [name for name in actions if name != "action_listen"][-1:] == [ActionRestOfWalk.NAME]:
        given = [r for m in bot_messages(before) if (r := response_name(m)) in WALK_OF_RESPONSE]
        first = WALK_OF_RESPONSE[given[-1]] if given else None
    else:
        proven = PROVEN_WALKS.get(str(tracker.get_slot("account_state")))
        if proven and proven_lately(before + this_turn):
            first = proven
    current = walk_of(tracker.get_slot("topic"))
    here = current if current in WALKS else None
    return list(dict.fromkeys(walk for walk in (first, here, *walks_left(tracker)) if walk))


def proven_lately(events: list[dict[str, Any]]) -> bool:
    """Whether the address was proven in this turn or the one before (the proof's own step
    and its "no"): the state the proof set still decides the walk."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    recent = events[users[-2] :] if len(users) > 1 else events
    return any(e.get("name") == "action_verify_code" for e in recent)


def walks_left(tracker: Tracker) -> list[str]:
    """The walks of the step questions asked outside the current section, latest first, up
    to a step of one the learner said worked; a side section without a walk (account
    settings, the image check) is passed over."""
    before, _ = split_at_latest_message(session_history(tracker))
    current = walk_of(tracker.get_slot("topic"))
    left: list[str] = []
    for index in reversed(step_questions_asked(before)):
        walk = walk_asked_at(before, index)
        if walk == current:
            continue
        if walk not in WALKS:
            continue
        answered = bot_messages(before[index + 1 :])
        if answered and response_name(answered[0]) == "utter_glad":
            break
        left.append(walk)
    return left


class ActionRestOfWalk(Action):
    """A side section (a second account) ended without success: the next step of the walk
    the learner left for it that they haven't been given, with its question; when none is
    left (or no walk was left), a person is offered."""

    NAME = "action_rest_of_walk"

    def name(self) -> str:
        return self.NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        given = said(tracker)
        rest: dict[frozenset[str], Step] = {}  # a step shared by two walks comes once
        for walk in walks_to_go_on(tracker):
            for step in WALKS[walk]:
                if not step.forms & given:
                    rest.setdefault(step.forms, step)
        if not rest:
            return [FollowupAction("utter_offer_ticket")]
        for response in next(iter(rest.values())).responses:
            dispatcher.utter_message(response=response)
        # The last step asks whether it solved the problem, as the stories' do.
        last = len(rest) == 1
        dispatcher.utter_message(response="utter_did_this_solve" if last else "utter_did_that_work")
        return []
