"""Section "I can't log in", step 2: the password reset email, sent when the learner says yes."""

from __future__ import annotations

from actions.mail import MailAction


class ActionSendPasswordReset(MailAction):
    action_name = "action_send_password_reset"
    client_call = "send_password_reset"
    reply = "utter_reset_sent"
    proven_reply = "utter_reset_sent_proven"
    when_unreachable = "utter_reset_by_article"  # the article's steps need no mail
