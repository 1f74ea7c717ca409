"""Missing courses: the two tabs, a second account, cache and cookies."""

from __future__ import annotations

from actions.missing_courses import ActionMissingCourses
from tests.actions.conftest import Chat, joined


async def test_steps_in_order(chat: Chat) -> None:
    first = joined(await chat.send(ActionMissingCourses(), "missing_courses", "courses gone"))
    assert "In Progress" in first and "Completed" in first
    assert "second account" in joined(await chat.no())
    assert "cache and cookies" in joined(await chat.no())


async def test_verified_learner_sees_the_enrolments(chat: Chat) -> None:
    await chat.send(ActionMissingCourses(), "missing_courses", "my courses vanished")
    reply = joined(await chat.prove("ana.silva@example.com"))
    assert '"Machine Learning"' in reply and '"The Science of Well-Being"' in reply


async def test_second_account_holding_the_course_is_found_and_masked(chat: Chat) -> None:
    await chat.send(ActionMissingCourses(), "missing_courses", "my course is missing")
    reply = joined(await chat.prove("emma.jones@yahoo.com"))
    assert "e***@gmail.com" in reply and '"Financial Markets"' in reply
    assert "emma.j.jones@gmail.com" not in reply
