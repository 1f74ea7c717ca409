"""The chat widget on the demo help page, in a real browser, against the running assistant."""

from __future__ import annotations

import re
import time

from playwright.sync_api import BrowserContext, Dialog, Page, expect

from common.codes import find_code
from rasa_addons.channels.socketio import SessionIds
from stack.processes import Stack
from tests.support.browser import (
    GREETING,
    PHONE,
    Widget,
    dropping_replies,
    open_widget,
    screenshot,
)


def read_code_in_mailbox(page: Page, address: str) -> str:
    """Uses the demo mailbox panel the way a tester does; returns the newest code shown."""
    mailbox = page.get_by_role("complementary", name="Demo mailbox")
    mailbox.get_by_label("Email address").fill(address)
    mailbox.get_by_role("button", name="Show mail").click()
    newest = mailbox.get_by_role("list", name="Messages").get_by_role("listitem").first
    expect(newest).to_contain_text("one-time code")
    code = find_code(newest.inner_text())
    assert code, "no 6-digit code in the newest mail"
    return code


def test_page_shows_article_mailbox_and_widget(page: Page, web_url: str) -> None:
    page.goto(web_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Getting back into your account")
    expect(page.get_by_role("complementary", name="Demo mailbox")).to_be_visible()
    widget = Widget(page)
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    expect(widget.panel).to_be_hidden()
    widget.open()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    widget.wait_online()
    widget.wait_for_bot(GREETING)
    # The greeting payload is sent silently, once, and offers the topics as quick replies.
    expect(widget.user_messages()).to_have_count(0)
    expect(widget.bot_messages().filter(has_text=GREETING)).to_have_count(1)
    expect(widget.quick_replies.filter(has_text="I can't log in")).to_be_visible()
    expect(widget.log).to_have_attribute("aria-live", "polite")
    screenshot(page, "desktop-greeting")


def test_login_with_code_from_demo_mailbox(page: Page, web_url: str) -> None:
    widget = open_widget(page, web_url)
    widget.send("I can't log in")
    widget.wait_for_bot("Did that work")
    widget.send("ben.okafor@gmail.com")
    widget.wait_for_bot("6-digit code")
    widget.click_reply("Yes, send the code")
    widget.wait_for_bot("on its way")
    code = read_code_in_mailbox(page, "ben.okafor@gmail.com")
    widget.send(code)
    widget.wait_for_bot("Google")
    screenshot(page, "desktop-code-from-mailbox")


def test_browser_keeps_no_code_and_no_address(page: Page, web_url: str) -> None:
    widget = open_widget(page, web_url)
    widget.send("I can't log in")
    widget.send("ben.okafor@gmail.com")
    widget.click_reply("Yes, send the code")
    code = read_code_in_mailbox(page, "ben.okafor@gmail.com")
    widget.send(f"{code[:3]} {code[3:]}")
    widget.send(code)
    widget.wait_for_bot("Google")
    stored = str(page.evaluate("() => JSON.stringify({ ...localStorage })"))
    assert "b***@gmail.com" in stored
    for secret in (code, code[:3] + " " + code[3:], "ben.okafor"):
        assert secret not in stored, secret
    page.reload()
    widget = Widget(page)
    expect(widget.user_messages().last).to_have_text("******")


def test_quick_reply_sends_payload_shows_title_and_goes_away(page: Page, web_url: str) -> None:
    widget = open_widget(page, web_url)
    count = widget.quick_replies.count()
    assert count > 2
    widget.click_reply("My courses are missing")
    widget.wait_for_bot(r"in progress|completed")
    expect(widget.user_messages()).to_have_text(["My courses are missing"])
    # The topic buttons are gone; whatever is offered now belongs to the new reply.
    expect(widget.quick_replies.filter(has_text="I can't log in")).to_have_count(0)


def offered_a_code(page: Page, web_url: str) -> Widget:
    """A widget in a login walk whose learner typed an address and was offered a code."""
    widget = open_widget(page, web_url)
    widget.send("I can't log in")
    widget.send("ben.okafor@gmail.com")
    widget.wait_for_bot("6-digit code")
    return widget


def test_reload_keeps_history_and_the_same_conversation(page: Page, web_url: str) -> None:
    widget = offered_a_code(page, web_url)
    session = widget.session_id()
    bubbles = widget.log.locator(".message").count()

    page.reload()
    widget = Widget(page)
    # It was open before the reload, so it opens again with the whole conversation.
    expect(widget.panel).to_be_visible()
    widget.wait_online()
    expect(widget.log.locator(".message")).to_have_count(bubbles)
    # What the browser kept has the address masked.
    expect(widget.user_messages()).to_have_text(["I can't log in", "b***@gmail.com"])
    assert widget.session_id() == session
    # The pending question's buttons come back, and the bot still knows the address.
    widget.click_reply("Yes, send the code")
    widget.wait_for_bot("on its way to ben.okafor@gmail.com")


def test_markup_is_shown_as_text_and_never_run(page: Page, web_url: str) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    widget = open_widget(page, web_url)
    attack = "<img src=x onerror=alert(1)>"
    widget.send(attack)
    expect(widget.user_messages().last).to_have_text(attack)
    expect(widget.host.locator("img")).to_have_count(0)
    expect(widget.log.locator("img, script, iframe")).to_have_count(0)
    page.reload()
    widget = Widget(page)
    expect(widget.user_messages().last).to_have_text(attack)
    expect(widget.host.locator("img")).to_have_count(0)
    assert dialogs == []


def test_phone_viewport(page: Page, web_url: str) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    widget = open_widget(page, web_url)
    box = widget.panel.bounding_box()
    assert box is not None
    assert box["width"] <= PHONE["width"] and box["x"] >= 0
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    for control in (widget.input, page.get_by_role("button", name="Send message")):
        expect(control).to_be_in_viewport()
    widget.send("I can't log in")
    widget.wait_for_bot("Did that work")
    expect(widget.quick_replies.first).to_be_in_viewport()
    no_sideways_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways_scroll
    screenshot(page, "phone-conversation")
    page.get_by_role("button", name="Close chat", exact=True).click()
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_in_viewport()


def test_keyboard_only(page: Page, web_url: str) -> None:
    page.goto(web_url)
    widget = Widget(page)
    for _ in range(40):
        page.keyboard.press("Tab")
        if widget.focused().startswith("Chat:"):
            break
    else:
        raise AssertionError("Tab never reached the chat launcher")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert widget.focused() == "ahw-input"
    widget.wait_online()
    widget.wait_for_bot(GREETING)
    page.keyboard.type("I can't log in")
    page.keyboard.press("Enter")
    widget.wait_for_bot("Did that work")
    assert widget.focused() == "ahw-input"
    # Reach a quick reply from the message box with Tab and press it with Space.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert widget.focused() == "quick-reply"
    page.keyboard.press("Space")
    expect(widget.user_messages().last).to_have_text(re.compile("worked|still stuck", re.I))
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert widget.focused().startswith("Chat:")


def test_start_over_begins_a_new_conversation(page: Page, web_url: str) -> None:
    widget = open_widget(page, web_url)
    widget.send("I can't log in")
    old_session = widget.session_id()
    page.get_by_role("button", name="Start over").click()
    expect(widget.user_messages()).to_have_count(0)
    widget.wait_for_bot(GREETING)
    expect(widget.bot_messages()).to_have_count(1)
    assert widget.session_id() != old_session


def stored(page: Page) -> str:
    return str(page.evaluate("() => JSON.stringify({ ...localStorage, ...sessionStorage })"))


def kept_user_messages(page: Page) -> int:
    """The learner's messages in what the widget keeps in the browser."""
    return int(
        page.evaluate(
            """() => Object.values(localStorage)
                .map((value) => { try { return JSON.parse(value); } catch { return null; } })
                .filter((data) => data && Array.isArray(data.history))
                .flatMap((data) => data.history)
                .filter((entry) => entry && entry.from === "user").length"""
        )
    )


def test_start_over_typed_leaves_nothing_of_the_old_conversation(page: Page, web_url: str) -> None:
    widget = offered_a_code(page, web_url)
    old_session = widget.session_id()
    assert old_session
    # Not `widget.send`: the reply clears the log, so the typed message may be gone before
    # a check that it was shown.
    widget.input.fill("start over")
    widget.input.press("Enter")
    expect(widget.user_messages()).to_have_count(0)
    widget.wait_for_bot(GREETING)
    page.wait_for_function(
        """(old) => Object.values(localStorage).some((value) => {
            try { const id = JSON.parse(value).sessionId; return id && id !== old; }
            catch { return false; }
        })""",
        arg=old_session,
    )
    kept = stored(page)
    for trace in ("b***@gmail.com", old_session):
        assert trace not in kept, trace
    assert kept_user_messages(page) == 0


def test_a_shared_computer_shows_nothing_of_an_ended_conversation(
    page: Page, web_url: str, stack: Stack
) -> None:
    """A learner proved an address and saw an account fact, then left. Their session has
    since ended (it began more than SESSION_MAX_HOURS ago): the next person to open the page
    gets a new conversation, and the browser keeps nothing of the old one."""
    widget = open_widget(page, web_url)
    widget.send("I can't log in")
    widget.send("ben.okafor@gmail.com")
    widget.click_reply("Yes, send the code")
    widget.send(read_code_in_mailbox(page, "ben.okafor@gmail.com"))
    widget.wait_for_bot("Google")
    key = stack.config.secrets["SESSION_SIGNING_KEY"].encode()
    ended = SessionIds(key, clock=lambda: time.time() - 13 * 3600).issue()
    page.evaluate(
        """(ended) => {
          for (const name of Object.keys(localStorage)) {
            const data = JSON.parse(localStorage.getItem(name));
            if (!data || !data.sessionId) continue;
            localStorage.setItem(name, JSON.stringify({ ...data, sessionId: ended }));
          }
        }""",
        ended,
    )
    assert "Google" in stored(page) and ended in stored(page)
    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()
    widget.wait_online()
    expect(widget.user_messages()).to_have_count(0)
    expect(widget.log).not_to_contain_text("Google")
    assert widget.session_id() not in (None, ended)
    kept = stored(page)
    for trace in ("Google", "b***@gmail.com", ended):
        assert trace not in kept, trace
    assert kept_user_messages(page) == 0


def test_offline_message_is_sent_when_back_online(
    context: BrowserContext, page: Page, web_url: str
) -> None:
    widget = open_widget(page, web_url)
    context.set_offline(True)
    expect(widget.status).to_have_text(re.compile("Reconnecting|Offline"))
    widget.input.fill("I can't log in")
    widget.input.press("Enter")
    expect(widget.panel.locator(".notice")).to_contain_text("sent when the connection is back")
    context.set_offline(False)
    widget.wait_online()
    widget.wait_for_bot("Did that work")


def test_unread_badge_counts_replies_while_closed(
    context: BrowserContext, page: Page, web_url: str
) -> None:
    widget = open_widget(page, web_url)
    # Offline, the message waits; the replies then arrive while the panel is closed.
    context.set_offline(True)
    expect(widget.status).to_have_text(re.compile("Reconnecting|Offline"))
    widget.input.fill("I can't log in")
    widget.input.press("Enter")
    page.get_by_role("button", name="Close chat", exact=True).click()
    expect(widget.host.locator(".badge")).to_be_hidden()
    context.set_offline(False)
    expect(widget.launcher).to_have_attribute(
        "aria-label", re.compile(r"^Chat: Account help \(\d+ unread\)$")
    )
    expect(widget.host.locator(".badge")).to_be_visible()
    widget.launcher.click()
    expect(widget.host.locator(".badge")).to_be_hidden()
    expect(widget.launcher).to_have_attribute("aria-label", "Chat: Account help")


def test_other_origins_are_refused(page: Page, foreign_page_url: str) -> None:
    page.goto(foreign_page_url)
    widget = Widget(page).open()
    expect(widget.status).to_have_text(re.compile("Offline"))
    expect(widget.bot_messages()).to_have_count(0)
    assert widget.session_id() is None


def test_demo_mailbox_proxy_keeps_the_api_key_on_the_server(
    page: Page, web_url: str, stack: Stack
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(str(request.all_headers())))
    page.goto(web_url)
    mailbox = page.get_by_role("complementary", name="Demo mailbox")
    mailbox.get_by_label("Email address").fill("nobody@example.com")
    mailbox.get_by_role("button", name="Show mail").click()
    expect(page.get_by_role("status").filter(has_text="No mail for")).to_be_visible()
    key = stack.config.api_key
    assert key not in page.content()
    assert key not in page.evaluate("fetch('/widget.js').then(r => r.text())")
    assert not any(key in headers for headers in requests)
    assert page.request.get(f"{web_url}/api/outbox").status == 400


def test_missing_reply_is_announced(page: Page, web_url: str) -> None:
    """Replies lost on the way (dropped from the socket) leave a visible notice, not silence."""
    dropping = dropping_replies(page)
    widget = open_widget(page, web_url)
    dropping["on"] = True
    widget.input.fill("I can't log in")
    widget.input.press("Enter")
    expect(widget.panel.locator(".typing")).to_be_visible()
    expect(widget.panel.get_by_role("status").filter(has_text="No reply yet")).to_be_visible()
    expect(widget.panel.locator(".typing")).to_be_hidden()
