"""Missing courses: a proven account's enrolments, by the homepage tabs they appear in."""

from __future__ import annotations

from actions.missing_courses import ActionListCourses
from tests.support.actions import ActionLearner, joined


async def test_a_proven_account_lists_both_tabs(learner: ActionLearner) -> None:
    await learner.prove("ana.silva@example.com")
    reply = joined(await learner.run(ActionListCourses(), "12345"))
    assert 'In Progress: "Machine Learning"' in reply
    assert 'Completed: "The Science of Well-Being"' in reply


async def test_without_proof_nothing_is_listed_and_the_step_is_asked_again(
    learner: ActionLearner,
) -> None:
    learner.slots["email"] = "ana.silva@example.com"  # typed, never proven
    reply = joined(await learner.run(ActionListCourses(), "show my courses"))
    assert "Machine Learning" not in reply
    assert learner.said() == ["utter_courses_unreadable"]
    assert [e["name"] for e in learner.returned if e["event"] == "followup"] == [
        "action_back_to_steps"
    ]
