"""What learners typed, as the support team may see it: no full address, no code.

Addresses keep their first character and domain (as in tickets); any run of four or more
digits, which may be a one-time code or part of one typed with spaces, becomes `[number]`.
"""

from __future__ import annotations

import re

from common.addresses import mask_addresses_in_text

# Six-digit codes typed as "123 456" or "123-456" are two runs of three: caught as one.
_DIGITS = re.compile(r"(?<!\d)\d{3}[\s-]\d{3}(?!\d)|\d{4,}")


def mask(text: str) -> str:
    return _DIGITS.sub("[number]", mask_addresses_in_text(text))
