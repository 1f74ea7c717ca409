"""Section "I can't verify my email": the verification email sent again to the typed address."""

from __future__ import annotations

from actions.mail import MailAction


class ActionSendVerificationEmail(MailAction):
    action_name = "action_send_verification_email"
    client_call = "send_verification_email"
    reply = "utter_verification_resent"
    proven_reply = "utter_verification_resent_proven"
    when_unreachable = "utter_offer_ticket"  # the last step of the section
