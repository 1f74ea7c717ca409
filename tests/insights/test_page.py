"""/insights on the stack's demo web server: access, what it shows, and in a real browser."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page

from insights.report import TABLE_ORDER
from stack.processes import ROOT
from tests.insights import expected
from tests.insights.conftest import ANA, BEN, TYPED_NUMBER, ZOE, Scripted

# Yesterday to tomorrow (UTC): every scripted conversation, even across midnight.
_TODAY = datetime.now(timezone.utc).date()
PERIOD = f"from={_TODAY - timedelta(days=1)}&to={_TODAY + timedelta(days=1)}"
TIMEOUT_MS = 30_000


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


@pytest.fixture(scope="module")
def web(scripted: Scripted) -> str:
    return scripted.stack.config.web_url


@pytest.fixture(scope="module")
def token(scripted: Scripted) -> str:
    return scripted.stack.config.secrets["INSIGHTS_AGENT_TOKEN"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_data_without_the_agent_credential(web: str, token: str) -> None:
    for path in ("/insights", "/insights/csv/steps.csv", "/insights/csv/misunderstood.csv"):
        for headers in (
            {},
            bearer("not-the-token"),
            {"Cookie": "agent_session=forged"},
            bearer("tökén"),
            {"Cookie": "agent_session=sèssion"},
        ):
            status, body = get(web + path, headers)
            assert status == 401, (path, headers)
            assert "data-measure" not in body and "login check address" not in body
    status, body = get(web + "/insights", bearer(token))
    assert status == 200 and "data-measure" in body


def test_period_is_validated(web: str, token: str) -> None:
    assert get(f"{web}/insights?from=2026-13-01", bearer(token))[0] == 400
    assert get(f"{web}/insights?from=2026-02-01&to=2026-01-01", bearer(token))[0] == 400


def review_file(scripted: Scripted, tmp_path: Path, below: float) -> str:
    out = tmp_path / "review.yml"
    subprocess.run(
        [sys.executable, "-m", "insights", "review", "--days", "2", "--below", str(below)]
        + ["--tracker-db", str(scripted.stack.config.tracker_db), "--out", str(out)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return out.read_text()


def test_no_full_address_or_code_in_the_page_the_csvs_or_the_review_file(
    scripted: Scripted, web: str, token: str, tmp_path: Path
) -> None:
    status, page = get(f"{web}/insights?{PERIOD}", bearer(token))
    assert status == 200
    exported = {"page": page}
    for name in TABLE_ORDER:
        status, text = get(f"{web}/insights/csv/{name}.csv?{PERIOD}", bearer(token))
        assert status == 200, name
        exported[f"{name}.csv"] = text
    # A high bar for "low confidence" puts the messages with an address and a number in the
    # file too (the model reads both with 0.9-0.99).
    exported["review"] = review = review_file(scripted, tmp_path, below=0.99)
    secrets = [ANA, BEN, ZOE, TYPED_NUMBER, *scripted.codes]
    for where, text in exported.items():
        for secret in secrets:
            assert secret not in text, f"{secret} in {where}"
    # The messages are there, masked.
    assert "z***@example.org" in review
    assert "nope [number] zzz" in review


def signed_in(browser: Browser, web: str, token: str, width: int) -> tuple[Page, list[str]]:
    """A new browser signed in through the login form; the list collects page errors and
    requests to anywhere but the page's own server."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(web) or request.url.startswith("data:")
            else problems.append(f"request elsewhere: {request.url}")
        ),
    )
    response = page.goto(f"{web}/insights")
    assert response is not None and response.status == 401
    page.get_by_label("Agent token").fill(token)
    page.get_by_label("Your name, as learners see it in the chat").fill("Sam")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-measure='conversations']")
    problems.clear()  # the form itself was a 401, which Chromium logs
    page.goto(f"{web}/insights?{PERIOD}")
    return page, problems


def cells(page: Page, table: str) -> list[list[str]]:
    rows = page.locator(f"section[data-table='{table}'] tbody tr")
    return [
        [cell.strip() for cell in rows.nth(index).locator("td").all_inner_texts()]
        for index in range(rows.count())
    ]


def test_page_in_a_browser_shows_the_expected_figures(
    browser: Browser, web: str, token: str
) -> None:
    page, problems = signed_in(browser, web, token, 1280)

    def measure(name: str) -> Locator:
        return page.locator(f"[data-measure='{name}']")

    assert measure("conversations").inner_text() == str(expected.SUMMARY["conversations"])
    assert measure("messages").inner_text() == str(expected.SUMMARY["messages"])
    assert measure("containment").inner_text() == "80.0%"
    assert measure("asked_for_person").inner_text() == "1"
    steps = {
        (row[0], int(row[1])): tuple(int(value) for value in row[3:10])
        for row in cells(page, "steps")
    }
    assert steps == expected.STEPS
    codes = {row[0]: int(row[1]) for row in cells(page, "codes")}
    assert codes == expected.CODES
    charts = page.locator("figure[data-chart] svg")
    assert charts.count() == 4
    for index in range(4):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80
    # The CSV link of a table downloads the same numbers.
    with page.expect_download() as download:
        page.locator("section[data-table='codes'] a.csv").click()
    text = Path(download.value.path()).read_text()
    assert "verified,1,1" in text and "offered,3,3" in text
    assert problems == []
    page.context.close()


def test_page_fits_a_phone(browser: Browser, web: str, token: str) -> None:
    page, problems = signed_in(browser, web, token, 375)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    charts = page.locator("figure[data-chart] svg")
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and 200 < box["width"] <= 375
    assert page.locator("[data-measure='containment']").inner_text() == "80.0%"
    assert problems == []
    page.context.close()
