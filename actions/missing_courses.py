"""Section "Missing courses": what the proven account is enrolled in, by the homepage tabs.

The list is a step to try ("Did that work?" follows it); an account with no courses at all
goes to the second-account step instead (actions/account_check.py). A list that can't be
read (the account service down, the proof expired) or comes up empty asks the step that was
waiting again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.account_client import AccountServiceUnavailable, Enrolment, get_client


def titles(enrolments: list[Enrolment], status: str) -> str:
    names = [f'"{item.course}"' for item in enrolments if item.status == status]
    return ", ".join(names) or "none"


class ActionListCourses(Action):
    def name(self) -> str:
        return "action_list_courses"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        token = tracker.get_slot("verification_token")
        try:
            state = (
                await get_client().account_state(token, str(tracker.sender_id)) if token else None
            )
        except AccountServiceUnavailable:
            dispatcher.utter_message(response="utter_service_down")
            return [FollowupAction("action_back_to_steps")]
        if state is None:  # no proof, or it expired
            dispatcher.utter_message(response="utter_courses_unreadable")
            return [FollowupAction("action_back_to_steps")]
        if not state.enrolments:  # enrolled since the code was checked: nothing to look for
            dispatcher.utter_message(response="utter_fact_no_courses")
            return [FollowupAction("action_back_to_steps")]
        dispatcher.utter_message(
            response="utter_fact_courses",
            in_progress=titles(state.enrolments, "in_progress"),
            completed=titles(state.enrolments, "completed"),
        )
        return []
