"""Changing name, email address or password in Account Settings."""

from __future__ import annotations

from actions import flow
from actions.flow import Topic
from actions.topic import TopicAction

flow.register(
    Topic(name="account_settings", steps=(flow.reply_step("settings"),), checks_accounts=False)
)


class ActionChangeAccountSettings(TopicAction):
    action_name = "action_change_account_settings"
    topic = "account_settings"
