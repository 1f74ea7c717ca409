"""Masking of learners' words, as the page, the CSVs and the review file show them."""

from __future__ import annotations

import pytest

from insights.privacy import mask


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("my code is 482913", "my code is [number]"),
        ("482 913 didn't work", "[number] didn't work"),
        ("482-913", "[number]"),
        ("write to zoe.quist@example.org please", "write to z***@example.org please"),
        ("<ZOE.Q@Example.ORG>, 12345678", "<Z***@Example.ORG>, [number]"),
        ("step 2 of 3", "step 2 of 3"),
    ],
)
def test_mask(typed: str, shown: str) -> None:
    assert mask(typed) == shown
