"""Addresses for tests that ask the account service for codes."""

from __future__ import annotations

import uuid


def unique_address(label: str) -> str:
    """An address no seeded account uses, so rate limits of other tests don't interfere."""
    return f"{label}.{uuid.uuid4().hex[:8]}@example.org"
