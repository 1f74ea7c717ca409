"""Comparing a secret a client sent with the expected one, whatever the client sent."""

from __future__ import annotations

import hmac


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two texts, compared as bytes: `hmac.compare_digest` raises on
    non-ASCII `str`, and a header or cookie may carry undecodable bytes as surrogates, so a
    malformed credential would otherwise end in a 500 instead of a refusal."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
