"""One-time codes as mails carry them, as learners type them, as the service compares them."""

from __future__ import annotations

import pytest

from common.codes import find_code, find_typed_code, submitted_digits


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("Your one-time code is 042917.\n\nIt expires in 10 minutes.", "042917"),
        ("Order 12345678, then code 654321", "654321"),
        ("Ticket CS-1234567 has no code", None),
        ("123 456 is two halves, not a mailed code", None),
    ],
)
def test_find_code_in_a_mail(body: str, code: str | None) -> None:
    assert find_code(body) == code


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("my code is 123456", "123456"),
        ("it's 123 456", "123456"),
        ("123  456", None),
        ("123-456", None),
        ("1234567", None),
        ("1234 567", None),
    ],
)
def test_find_typed_code_joins_the_halves(message: str, code: str | None) -> None:
    assert find_typed_code(message) == code


@pytest.mark.parametrize("submitted", ["123456", "123 456", "123-456", " 12 34-56\t"])
def test_submitted_code_loses_its_separators(submitted: str) -> None:
    assert submitted_digits(submitted) == "123456"
