"""One-time codes as they appear in mails and in what learners type."""

from __future__ import annotations

import re

CODE_LENGTH = 6
_HALF = CODE_LENGTH // 2
# In a mail a code stands alone: six digits not inside a longer number.
CODE_IN_TEXT = re.compile(rf"\b(\d{{{CODE_LENGTH}}})\b")
# Typed by a learner it may come in two halves, as it is read out: "123 456".
TYPED_CODE = re.compile(rf"\b(\d{{{_HALF}}})\s?(\d{{{_HALF}}})\b")
# Sent to the account service it may carry any spaces or dashes: "123-456", "12 34 56".
_SUBMITTED_SEPARATORS = re.compile(r"[\s-]+")


def find_code(text: str) -> str | None:
    """The first one-time code in `text`, or None."""
    match = CODE_IN_TEXT.search(text)
    return match.group(1) if match else None


def find_typed_code(text: str) -> str | None:
    """The code in a learner's message with its halves joined, or None."""
    match = TYPED_CODE.search(text)
    return match.group(1) + match.group(2) if match else None


def submitted_digits(code: str) -> str:
    """What the service compares of a submitted code: the code without its separators."""
    return _SUBMITTED_SEPARATORS.sub("", code)


def without_codes(text: str) -> str:
    """The text with every one-time code a learner may have typed replaced by "[code]"."""
    return TYPED_CODE.sub("[code]", text)
