"""Mails the learner asked for: a password reset, a new verification email.

The reply is the same whether or not the address has an account; only an address the
learner has proven gets the plain "it's on its way". When the service's mail budget is
spent, `mail_status` is set to `limit` and the rules offer the way forward. When the account
service can't be reached, the mail's own way forward follows instead of "Did that work?".
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import client_id, known_email, minutes, turn_key
from actions.account_client import (
    AccountServiceUnavailable,
    InvalidEmail,
    MailRequestResult,
    get_client,
)

Send = Callable[[str, str, str | None], Awaitable[MailRequestResult]]


async def send_mail(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    send: Send,
    reply: str,
    proven_reply: str,
    when_unreachable: str,
) -> list[dict[str, Any]]:
    """Asks the account service to email the learner's address and says so."""
    address = known_email(tracker)
    if not address:
        dispatcher.utter_message(response="utter_ask_other_address")
        return []
    try:
        result = await send(address, str(tracker.sender_id), client_id(tracker))
    except InvalidEmail:
        dispatcher.utter_message(response="utter_invalid_email", typed=address)
        return []
    except AccountServiceUnavailable:
        dispatcher.utter_message(response="utter_service_down")
        return [FollowupAction(when_unreachable)]
    if result.status == "mail_limit":
        dispatcher.utter_message(
            response="utter_mail_limit", minutes=minutes(result.retry_after_seconds)
        )
        return [SlotSet("mail_status", "limit")]
    proven = address == tracker.get_slot("verified_email")
    dispatcher.utter_message(response=proven_reply if proven else reply, email=address)
    return [SlotSet("mail_status", None)]


class MailAction(Action, abc.ABC):
    """Sends one kind of mail; a subclass names the action, the client call, the replies and
    what follows when the account service can't be reached.

    Abstract, so the action server registers the subclasses but not this base.
    """

    action_name: ClassVar[str]
    reply: ClassVar[str]
    proven_reply: ClassVar[str]
    when_unreachable: ClassVar[str]

    @property
    @abc.abstractmethod
    def client_call(self) -> str:
        """The AccountClient method that sends the mail."""

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send: Send = functools.partial(
            getattr(get_client(), self.client_call), idempotency_key=turn_key(tracker, self.name())
        )
        return await send_mail(
            dispatcher, tracker, send, self.reply, self.proven_reply, self.when_unreachable
        )
