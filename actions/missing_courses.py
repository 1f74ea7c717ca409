"""Section "Missing courses": the two tabs, a second account, then cache and cookies."""

from __future__ import annotations

from actions import flow
from actions.flow import Topic
from actions.topic import TopicAction

flow.register(
    Topic(
        name="missing_courses",
        steps=(
            flow.reply_step("courses_tabs"),
            flow.reply_step("courses_second_account"),
            flow.reply_step("courses_clear_cache"),
        ),
    )
)


class ActionMissingCourses(TopicAction):
    action_name = "action_missing_courses"
    topic = "missing_courses"
