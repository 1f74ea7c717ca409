"""Mails the learner asked for: a password reset, a new verification email.

The reply is the same whether or not the address has an account; only an address the
learner has proven gets the plain "it's on its way".
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import known_email
from actions.account_client import AccountServiceUnavailable, InvalidEmail, get_client

Send = Callable[[str, str], Awaitable[None]]


async def send_mail(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    send: Send,
    reply: str,
    proven_reply: str,
) -> list[dict[str, Any]]:
    """Asks the account service to email the learner's address and says so."""
    address = known_email(tracker)
    if not address:
        dispatcher.utter_message(response="utter_ask_other_address")
        return []
    try:
        await send(address, str(tracker.sender_id))
    except InvalidEmail:
        dispatcher.utter_message(response="utter_invalid_email", typed=address)
    except AccountServiceUnavailable:
        dispatcher.utter_message(response="utter_service_down")
    else:
        proven = address == tracker.get_slot("verified_email")
        dispatcher.utter_message(response=proven_reply if proven else reply, email=address)
    return []


class MailAction(Action, abc.ABC):
    """Sends one kind of mail; a subclass names the action, the client call and the replies.

    Abstract, so the action server registers the subclasses but not this base.
    """

    action_name: ClassVar[str]
    reply: ClassVar[str]
    proven_reply: ClassVar[str]

    @property
    @abc.abstractmethod
    def client_call(self) -> str:
        """The AccountClient method that sends the mail."""

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        send: Send = getattr(get_client(), self.client_call)
        return await send_mail(dispatcher, tracker, send, self.reply, self.proven_reply)
