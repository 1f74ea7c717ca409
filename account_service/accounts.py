"""The account rules: which mail answers a request about an address, and what the
address's proven owner may learn.

Requests are answered the same way for any address; only the mail that lands in the
address's inbox differs, so the API cannot tell who has an account. Every mail request is
counted against the mail budget (limits.py) before the account is looked at, so a refusal
is the same for any address too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from account_service import mailer
from account_service.codes import Codes
from account_service.limits import Caller, Limits, Refusal
from account_service.storage import DAY_SECONDS, Clock, Storage
from common.addresses import mask_email

# How long an address an account moved away from still reports that move.
EMAIL_CHANGE_GRACE_SECONDS = 30 * DAY_SECONDS


class Accounts:
    """Answers the requests about an address; the HTTP layer only checks their shape."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        codes: Codes,
        limits: Limits,
        code_generator: Callable[[], str],
        public_url: str,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._codes = codes
        self._limits = limits
        self._generate = code_generator
        self._public_url = public_url

    def request_code(self, email: str, conversation_id: str, client: str) -> Refusal | None:
        """Mail a code to any well-formed address, within its quota and the mail budget."""
        caller = Caller(conversation_id, client, email)
        refusal = self._codes.quota_refusal(caller) or self._limits.mail_refusal(caller)
        if refusal is not None:
            return refusal
        code = self._generate()
        self._codes.issue(email, conversation_id, code)
        self._limits.record("mail:code", caller)
        self._send(email, mailer.code_mail(code), conversation_id)
        return None

    def admit_mail(
        self, kind: str, email: str, conversation_id: str, client: str
    ) -> Refusal | None:
        """Count a reset or confirmation request against the mail budget, account unseen.

        Counted whether or not a mail follows, so the budget runs out alike for any address.
        """
        caller = Caller(conversation_id, client, email)
        refusal = self._limits.mail_refusal(caller)
        if refusal is None:
            self._limits.record(kind, caller)
        return refusal

    def send_password_reset(self, email: str, conversation_id: str) -> None:
        """A reset link only for an account with a password; otherwise say how it signs in."""
        account = self._storage.account(email)
        if account is None:
            mail = mailer.unknown_address_reset_mail()
        elif "password" in account.sign_in_methods:
            mail = mailer.password_reset_mail(self._link("reset"))
        else:
            mail = mailer.no_password_mail(account.sign_in_methods, account.sso_organization)
        self._send(email, mail, conversation_id)

    def send_confirmation(self, email: str, conversation_id: str) -> bool:
        """Mail a confirmation link only to an unconfirmed account; True when one was sent."""
        account = self._storage.account(email)
        if account is None or account.email_verified:
            return False
        self._send(email, mailer.confirm_email_mail(self._link("confirm")), conversation_id)
        return True

    def state(self, email: str) -> dict[str, Any]:
        """Everything the assistant may learn about an address its user proved to own."""
        now = self._clock()
        state: dict[str, Any] = {
            "email": email,
            "exists": False,
            "sign_in_methods": [],
            "email_verified": False,
            "sso_organization": None,
            "recent_email_change": None,
            "enrolments": [],
            "likely_duplicates": [],
        }
        change = self._storage.email_change_since(email, now - EMAIL_CHANGE_GRACE_SECONDS)
        if change is not None:
            state["recent_email_change"] = {
                "new_email_masked": mask_email(change.new_email),
                "days_ago": max(0, int((now - change.changed_at) // DAY_SECONDS)),
                "by_owner": change.by_owner,
            }
        account = self._storage.account(email)
        if account is None:
            return state
        state.update(
            exists=True,
            sign_in_methods=account.sign_in_methods,
            email_verified=account.email_verified,
            sso_organization=account.sso_organization,
            enrolments=self._storage.enrolments(email),
        )
        state["likely_duplicates"] = [
            {
                "email_masked": mask_email(duplicate.email),
                "created_with": duplicate.created_with,
                "enrolments": self._storage.enrolments(duplicate.email),
            }
            for duplicate in self._storage.duplicates(email)
        ]
        return state

    def _send(self, email: str, mail: mailer.Mail, conversation_id: str) -> None:
        self._storage.add_mail(email, mail.subject, mail.body, self._clock(), conversation_id)

    def _link(self, kind: str) -> str:
        return f"{self._public_url}/{kind}/{secrets.token_urlsafe(24)}"
