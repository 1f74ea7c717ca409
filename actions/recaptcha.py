"""Section on selecting images after logging in (Google reCAPTCHA)."""

from __future__ import annotations

from actions import flow
from actions.flow import Topic
from actions.topic import TopicAction

flow.register(Topic(name="recaptcha", steps=(flow.reply_step("recaptcha"),), checks_accounts=False))


class ActionRecaptchaProblem(TopicAction):
    action_name = "action_recaptcha_problem"
    topic = "recaptcha"
