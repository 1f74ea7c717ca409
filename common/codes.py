"""One-time codes as they appear in mails and in what learners type."""

from __future__ import annotations

import re

CODE_LENGTH = 6
# A code stands alone: six digits not inside a longer number.
CODE_IN_TEXT = re.compile(rf"\b(\d{{{CODE_LENGTH}}})\b")


def find_code(text: str) -> str | None:
    """The first one-time code in `text`, or None."""
    match = CODE_IN_TEXT.search(text)
    return match.group(1) if match else None
