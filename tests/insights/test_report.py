"""The page's tables: a long list shows its latest rows, the CSV keeps all of them."""

from __future__ import annotations

from insights.measures import Table
from insights.report import SHOWN_ROWS, table_html, to_csv


def test_long_tables_show_the_latest_rows_and_the_csv_keeps_all() -> None:
    rows = [(f"2026-11-27 10:{index:04d}", f"message {index}") for index in range(250)]
    table = Table("misunderstood", "Messages", ("time", "message"), rows)
    page = table_html(table, "/insights/csv/misunderstood.csv")
    assert page.count("<tr>") == 1 + SHOWN_ROWS  # the header and the latest rows
    assert "message 249" in page and "message 49<" not in page
    assert f"The latest {SHOWN_ROWS} of 250" in page
    assert len(to_csv(table).splitlines()) == 251
