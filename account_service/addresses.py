"""Address checks and masking shared by the service's handlers, store and logs."""

from __future__ import annotations

import re

# Deliberately simple: it only has to reject what clearly is not an address,
# the same way for registered and unregistered addresses.
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)
# Finds addresses inside free text (transcripts), so they can be masked.
_EMAIL_IN_TEXT_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

MAX_EMAIL_LENGTH = 254


def normalize_email(value: str) -> str:
    """Addresses are compared case-insensitively, so store and look up one form."""
    return value.strip().lower()


def is_valid_email(value: object) -> bool:
    """Well-formed check applied before any lookup, so it leaks nothing."""
    if not isinstance(value, str):
        return False
    value = value.strip()
    if not value or len(value) > MAX_EMAIL_LENGTH or ".." in value:
        return False
    local = value.split("@", 1)[0]
    if local.startswith(".") or local.endswith("."):
        return False
    return bool(_EMAIL_RE.match(value))


def mask_email(address: str) -> str:
    """Keep enough to recognise an address without disclosing it: ``e***@gmail.com``."""
    address = address.strip()
    local, sep, domain = address.rpartition("@")
    if not sep:
        return "***"
    first = local[:1]
    return f"{first}***@{domain}"


def mask_addresses_in_text(text: str) -> str:
    """Stored transcripts must not keep full addresses, whatever the caller sent."""
    return _EMAIL_IN_TEXT_RE.sub(lambda match: mask_email(match.group(0)), text)
