"""Addresses: when one is well formed, the one form it is kept in, and how it is shown masked."""

from __future__ import annotations

import re

MAX_EMAIL_LENGTH = 254

# One domain shape for addresses and for domains asked about on their own.
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
# Deliberately simple: it only has to reject what clearly is not an address,
# the same way for registered and unregistered addresses.
_EMAIL_RE = re.compile(rf"^[A-Za-z0-9._%+'-]+@{_DOMAIN}$")
_DOMAIN_RE = re.compile(rf"^{_DOMAIN}$")
# Anything address-like in free text, well formed or not (non-ASCII, no dot), so that
# masking misses nothing; quotes and brackets around it stay outside, an apostrophe
# inside ("o'brien@...") does not cut it short.
_ADDRESS_IN_TEXT_RE = re.compile(r"[^\s@<>()\[\]\"',;:][^\s@<>()\[\]\",;:]*@[^\s@<>()\[\]\"',;:]+")


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


def is_valid_domain(value: str) -> bool:
    """The domain part of a well-formed address, checked the same way."""
    return bool(_DOMAIN_RE.match(value))


def mask_email(address: str) -> str:
    """Keep enough to recognise an address without disclosing it: ``e***@gmail.com``."""
    address = address.strip()
    local, sep, domain = address.rpartition("@")
    if not sep:
        return "***"
    first = local[:1]
    return f"{first}***@{domain}"


def mask_addresses_in_text(text: str) -> str:
    """Transcripts must not keep full addresses, whatever the learner typed."""
    return _ADDRESS_IN_TEXT_RE.sub(lambda match: mask_email(match.group(0)), text)
