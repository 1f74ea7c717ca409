"""Checking for a second account (referred to by the login and missing-courses sections)."""

from __future__ import annotations

from actions import flow
from actions.flow import Topic
from actions.topic import TopicAction

flow.register(Topic(name="second_account", steps=(flow.reply_step("second_account_check"),)))


class ActionDuplicateAccount(TopicAction):
    action_name = "action_duplicate_account"
    topic = "second_account"
