"""The chat widget on a page, seen the way a user sees it, and screenshots of it."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from stack.processes import ROOT

SCREENSHOTS = ROOT / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
REPLY_TIMEOUT_MS = 30_000
# Waiting for the assistant's replies: generous, since the machine may be busy.
expect.set_options(timeout=REPLY_TIMEOUT_MS)


def socket_event(frame: str | bytes) -> tuple[str, Any] | None:
    """The name and payload of a socket.io event in a WebSocket frame (`42["name",{...}]`)."""
    text = frame.decode() if isinstance(frame, bytes) else frame
    if not text.startswith("42"):
        return None
    name, *args = json.loads(text[2:])
    return str(name), args[0] if args else None


def dropping_replies(page: Page) -> dict[str, bool]:
    """Drops every reply on the way to the page while the returned switch is on."""
    switch = {"on": False}

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        socket.on_message(server.send)

        def to_page(frame: str | bytes) -> None:
            event = socket_event(frame)
            if not (switch["on"] and event and event[0] == "bot_uttered"):
                socket.send(frame)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/socket\.io/"), relay)
    return switch


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
        self.notice = self.panel.locator(".notice")
        self.typing = self.panel.locator(".typing")

    def open(self) -> Widget:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    def bot_messages(self) -> Locator:
        return self.log.locator(".message.bot .bubble-body")

    def user_messages(self) -> Locator:
        return self.log.locator(".message.user .bubble-body")

    def agent_messages(self) -> Locator:
        return self.log.locator(".message.agent .bubble-body")

    def send_to_agent(self, text: str) -> None:
        """A message while a support agent has the chat: the assistant answers nothing."""
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.user_messages().last).to_have_text(text)
        expect(self.panel.locator(".typing")).to_be_hidden()

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


GREETING = re.compile(r"help with getting into your account", re.I)


def open_widget(page: Page, url: str, options: dict[str, Any] | None = None) -> Widget:
    """Opens the page and the chat; returns once the greeting is shown. With `options`, the
    widget is started again with them (AccountHelpWidget.init), as an embedding site would."""
    page.goto(url)
    if options:
        page.evaluate(
            """options => {
                const script = document.querySelector("script[data-server]");
                window.AccountHelpWidget.init({ ...script.dataset, ...options });
            }""",
            options,
        )
    widget = Widget(page).open()
    widget.wait_online()
    widget.wait_for_bot(GREETING)
    return widget


class DeskConsole:
    """The support agent's console (/desk) in a browser, as an agent uses it."""

    def __init__(self, page: Page, web_url: str) -> None:
        self.page = page
        self.web_url = web_url.rstrip("/")
        self.status = page.get_by_role("status")

    def sign_in(self, token: str, name: str) -> DeskConsole:
        self.page.goto(f"{self.web_url}/desk")
        self.page.get_by_label("Agent token").fill(token)
        self.page.get_by_label("Your name, as learners see it in the chat").fill(name)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name="Live chats")).to_be_visible()
        return self

    def take(self, session_id: str) -> None:
        row = self.page.locator(f"tr[data-conversation='{session_id}']")
        row.get_by_role("button", name="Take").click()
        expect(self.page.get_by_role("heading", name="Live chat")).to_be_visible()

    def transcript(self) -> Locator:
        return self.page.locator("#transcript")

    def wait_for_line(self, text: str) -> None:
        expect(self.transcript().locator(".line", has_text=text).last).to_be_visible()

    def reply(self, text: str) -> None:
        self.page.get_by_label("Your reply").fill(text)
        self.page.get_by_role("button", name="Send").click()

    def end(self, outcome: str) -> None:
        self.page.get_by_label(outcome, exact=True).check()
        self.page.get_by_role("button", name="End chat").click()
        expect(self.page.get_by_role("heading", name="Live chats")).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
