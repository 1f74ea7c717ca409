"""Masking of learners' words, as the page, the CSVs and the review file show them."""

from __future__ import annotations

import pytest

from insights.measures import Table
from insights.privacy import mask
from insights.report import to_csv


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


def test_csv_cells_never_start_a_formula() -> None:
    table = Table("misunderstood", "t", ("message", "count"), [("=HYPERLINK(1)", 2), (None, -1)])
    assert to_csv(table).splitlines() == ["message,count", "'=HYPERLINK(1),2", ",-1"]
