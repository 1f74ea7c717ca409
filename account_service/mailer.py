"""Wording of the mails the mock service "sends" into its outbox.

Kept apart from the handlers so the texts can be read and reviewed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from account_service.codes import CODE_TTL_SECONDS

_PROVIDER_NAMES = {
    "google": "Google",
    "facebook": "Facebook",
    "apple": "Apple",
}


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def code_mail(code: str) -> Mail:
    minutes = CODE_TTL_SECONDS // 60
    return Mail(
        subject="Your one-time code",
        body=(
            f"Your one-time code is {code}.\n\n"
            f"It expires in {minutes} minutes and can be used once. "
            "If you did not ask for it, you can ignore this message."
        ),
    )


def password_reset_mail(link: str) -> Mail:
    return Mail(
        subject="Reset your password",
        body=(
            "We received a request to reset the password of the account that uses this "
            f"address.\n\nChoose a new password here: {link}\n\n"
            "If you did not ask for this, you can ignore this message."
        ),
    )


def no_password_mail(sign_in_methods: list[str], organization: str | None) -> Mail:
    """Social or SSO accounts have no password to reset, so say how they sign in."""
    providers = [_PROVIDER_NAMES[m] for m in sign_in_methods if m in _PROVIDER_NAMES]
    if providers:
        how = " or ".join(providers)
        detail = (
            f"The account that uses this address signs in with {how}, so it has no "
            f'password here. Choose "Continue with {providers[0]}" on the sign-in page.'
        )
    else:
        org = organization or "your organization"
        detail = (
            "The account that uses this address signs in through single sign-on "
            f'with {org}, so it has no password here. Choose "Sign in with your '
            'organization" on the sign-in page.'
        )
    return Mail(
        subject="Password reset request",
        body=(
            "We received a request to reset the password of the account that uses this "
            f"address.\n\n{detail}\n\nIf you did not ask for this, you can ignore this message."
        ),
    )


def unknown_address_reset_mail() -> Mail:
    return Mail(
        subject="Password reset request",
        body=(
            "We received a request to reset a password for this address, but no account "
            "uses this address.\n\nIf you have an account, it may be registered under "
            "another address you use; try requesting the reset with that address.\n\n"
            "If you did not ask for this, you can ignore this message."
        ),
    )


def confirm_email_mail(link: str) -> Mail:
    return Mail(
        subject="Action Required: Please confirm your email",
        body=(
            "Please confirm that this address belongs to you so you can keep using "
            f"your account.\n\nConfirm your email: {link}\n\n"
            "If you did not ask for this, you can ignore this message."
        ),
    )
