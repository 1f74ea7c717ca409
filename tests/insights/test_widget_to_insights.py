"""A conversation in the chat widget on the demo page shows up on /insights (runs after the
other modules, which expect the scripted conversations only)."""

from __future__ import annotations

import csv
import io
import re
import urllib.request

from playwright.sync_api import Browser

from tests.insights.conftest import Scripted
from tests.support.browser import DESKTOP, Widget


def fetch(url: str, token: str) -> str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(response.read().decode())


def figures(web: str, token: str) -> tuple[int, dict[str, str]]:
    page = fetch(f"{web}/insights", token)
    found = re.search(r"data-measure='conversations'>(\d+)<", page)
    assert found
    steps = csv.DictReader(io.StringIO(fetch(f"{web}/insights/csv/steps.csv", token)))
    login_1 = next(row for row in steps if row["topic"] == "login" and row["step"] == "1")
    return int(found.group(1)), login_1


def test_a_widget_conversation_appears_on_the_page(scripted: Scripted, browser: Browser) -> None:
    config = scripted.stack.config
    token = config.secrets["INSIGHTS_AGENT_TOKEN"]
    conversations, login_1 = figures(config.web_url, token)

    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(config.web_url)
    widget = Widget(page).open()
    widget.wait_online()
    widget.click_reply("I can't log in")
    widget.wait_for_bot("Did that work")
    widget.click_reply("Yes, it worked")
    widget.wait_for_bot("glad")
    context.close()

    after, login_1_after = figures(config.web_url, token)
    assert after == conversations + 1
    assert int(login_1_after["asked"]) == int(login_1["asked"]) + 1
    assert int(login_1_after["solved"]) == int(login_1["solved"]) + 1
