"""Where the assistant sends learners: the help center's other articles and its Contact Us form.

The help article points to other articles (resetting a password, checking for a second
account, single sign-on) and to the Contact Us button; every reply that does the same
links to the pages named here. HELP_CENTER_URL is the help center's address; without it
the links go to the stand-in pages the demo page serves under `make run`.
"""

from __future__ import annotations

import os

DEFAULT_HELP_CENTER_URL = "http://localhost:8080/help"

# Response placeholder -> (path under the help center, title of the page it opens).
PAGES: dict[str, tuple[str, str]] = {
    "reset_password_article": ("articles/reset-password", "Resetting your password"),
    "second_account_article": ("articles/second-account", "Checking for a second account"),
    "sso_article": ("articles/single-sign-on", "Logging in with single sign-on (SSO)"),
    "contact_us": ("contact-us", "Contact Us"),
}


def help_center_url() -> str:
    return (os.environ.get("HELP_CENTER_URL") or DEFAULT_HELP_CENTER_URL).rstrip("/")


def help_center_links(base: str | None = None) -> dict[str, str]:
    """Placeholder name -> the page's address under `base` (HELP_CENTER_URL by default)."""
    root = (base or help_center_url()).rstrip("/")
    return {name: f"{root}/{path}" for name, (path, _) in PAGES.items()}
