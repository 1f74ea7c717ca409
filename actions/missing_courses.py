"""Section "Missing courses": what the proven account is enrolled in, by the homepage tabs."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
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
            return []
        if state is None or not state.enrolments:
            dispatcher.utter_message(response="utter_fact_no_courses")
            return []
        dispatcher.utter_message(
            response="utter_fact_courses",
            in_progress=titles(state.enrolments, "in_progress"),
            completed=titles(state.enrolments, "completed"),
        )
        return []
