"""Browser fixtures: Debian's chromium driven by Playwright against the shared running stack.

The stack fixture starts the demo page server (web/server.py) on its own port and allows that
page's origin in `rasa run --cors`, so the widget runs exactly as it does under `make run`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from stack.processes import ROOT, Stack, free_port, wait_for_http

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
REPLY_TIMEOUT_MS = 30_000
# Waiting for the assistant's replies: generous, since the machine may be busy.
expect.set_options(timeout=REPLY_TIMEOUT_MS)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run `make system-deps` (make test does it for you).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def web_url(stack: Stack) -> str:
    assert stack.config.web_port is not None, "the stack fixture must start the demo page"
    return stack.config.web_url


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    opened = context.new_page()
    opened.set_default_timeout(REPLY_TIMEOUT_MS)
    return opened


@pytest.fixture(scope="session")
def foreign_page_url(stack: Stack) -> Iterator[str]:
    """The same demo page served from an origin the Rasa server was not told to allow."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "web.server",
            "--port",
            str(port),
            "--rasa-url",
            stack.config.rasa_url,
        ],
        cwd=ROOT,
        env=stack.config.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", 30, process)
        yield f"http://localhost:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


class Widget:
    """The chat widget on a page, seen the way a user sees it (roles and labels)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.host = page.locator("[data-account-help-widget]")
        self.launcher = page.get_by_role("button", name="Chat: Account help")
        self.panel = page.get_by_role("dialog", name="Account help")
        self.log = page.get_by_role("log", name="Conversation")
        self.input = page.get_by_role("textbox", name="Message")
        self.quick_replies = page.get_by_role("group", name="Suggested replies").get_by_role(
            "button"
        )
        self.status = self.panel.locator(".status-text")

    def open(self) -> Widget:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    def bot_messages(self) -> Locator:
        return self.log.locator(".message.bot .bubble-body")

    def user_messages(self) -> Locator:
        return self.log.locator(".message.user .bubble-body")

    def wait_online(self) -> None:
        expect(self.status).to_have_text("Online")

    def wait_for_bot(self, pattern: str | re.Pattern[str]) -> Locator:
        """Waits for the last bot bubble matching `pattern`; returns it."""
        wanted = re.compile(pattern, re.I) if isinstance(pattern, str) else pattern
        bubble = self.bot_messages().filter(has_text=wanted).last
        expect(bubble).to_be_visible()
        return bubble

    def send(self, text: str) -> None:
        count = self.bot_messages().count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.user_messages().last).to_have_text(text)
        self.wait_for_replies_after(count)

    def click_reply(self, title: str) -> None:
        count = self.bot_messages().count()
        self.quick_replies.filter(has_text=title).first.click()
        expect(self.user_messages().last).to_have_text(title)
        self.wait_for_replies_after(count)

    def wait_for_replies_after(self, count: int) -> None:
        expect(self.bot_messages()).not_to_have_count(count)
        expect(self.panel.locator(".typing")).to_be_hidden()

    def focused(self) -> str:
        """A description of the focused element inside the widget ('' when outside it)."""
        return str(
            self.host.evaluate(
                """host => {
                    const el = host.shadowRoot.activeElement;
                    return el ? (el.getAttribute('aria-label') || el.id || el.className) : '';
                }"""
            )
        )

    def session_id(self) -> str | None:
        return (  # type: ignore[no-any-return]
            self.page.evaluate(
                """() => {
                    for (let i = 0; i < localStorage.length; i++) {
                        const key = localStorage.key(i);
                        if (key.startsWith('account-help-widget')) {
                            return JSON.parse(localStorage.getItem(key)).sessionId;
                        }
                    }
                    return null;
                }"""
            )
        )
