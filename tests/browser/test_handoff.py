"""Live handoff in two real browsers: a learner's widget and a support agent's console,
through the whole stack. Replies both ways, a reload of the learner's page mid-chat, the
agent ending and the assistant coming back, an agent's session ending mid-chat, and a
ticket when nobody is at the desk."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from stack.processes import ROOT, Stack, free_port
from stack.supervisor import Program, Supervisor, http_ready
from tests.support.browser import DESKTOP, DeskConsole, Widget, open_widget, screenshot
from tests.support.handoff import BACK, JOINED, QUEUED, queued_learner

# The console's agent session lasts this long on the short-session desk below.
SHORT_SESSION_SECONDS = 4


@pytest.fixture
def agent_page(browser: Browser) -> Iterator[Page]:
    """The agent's own browser context (cookies apart from the learner's)."""
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def console(agent_page: Page, stack: Stack, web_url: str) -> Iterator[DeskConsole]:
    desk = DeskConsole(agent_page, web_url).sign_in(
        stack.config.secrets["INSIGHTS_AGENT_TOKEN"], "Sam"
    )
    yield desk
    # Signed out, so the tests after this one find nobody at the desk.
    agent_page.request.post(f"{web_url}/insights/logout", max_redirects=0)


def test_a_learner_and_an_agent_chat_and_the_assistant_comes_back(
    page: Page, console: DeskConsole, web_url: str
) -> None:
    widget, session_id = queued_learner(page, web_url)
    expect(console.page.locator(f"tr[data-conversation='{session_id}']")).to_be_visible()
    screenshot(console.page, "handoff-queue")
    console.take(session_id)
    console.wait_for_line("can I talk to a person?")
    widget.wait_for_bot(JOINED)

    widget.send_to_agent("Hi, I still can't get in")
    console.wait_for_line("Hi, I still can't get in")
    console.reply("Hello, I'm Sam. Which address do you sign in with?")
    reply = widget.agent_messages().last
    expect(reply).to_contain_text("Hello, I'm Sam. Which address do you sign in with?")
    expect(reply).to_contain_text("Sam · support team")
    screenshot(page, "handoff-learner")
    screenshot(console.page, "handoff-agent")

    # Leaving the page and coming back keeps the agent's conversation: what was said, what
    # the agent wrote meanwhile (once), and the live connection.
    page.goto("about:blank")
    console.reply("Take your time.")
    page.goto(web_url)
    widget = Widget(page)
    widget.wait_online()
    expect(widget.agent_messages()).to_have_count(2)
    expect(widget.agent_messages().last).to_contain_text("Take your time.")
    page.reload()
    widget.wait_online()
    console.reply("I'm still here.")
    expect(widget.agent_messages()).to_have_count(3)
    expect(widget.agent_messages().last).to_contain_text("I'm still here.")
    widget.send_to_agent("found it, thanks")
    console.wait_for_line("found it, thanks")

    console.end("Solved")
    widget.wait_for_bot(BACK)
    widget.click_reply("Yes, it's solved")
    widget.wait_for_bot("If anything else comes up")


@pytest.fixture
def short_session_desk(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second desk page server on the same stack whose agent sessions end in seconds."""
    config = stack.config
    port = free_port()
    desk = Program(
        "short-session-desk",
        [sys.executable, "-m", "web.server", "--port", str(port)]
        + ["--rasa-url", config.rasa_url, "--tracker-db", str(config.tracker_db)],
        http_ready(f"http://127.0.0.1:{port}/health"),
        port=port,
        env={"AGENT_SESSION_SECONDS": str(SHORT_SESSION_SECONDS)},
    )
    supervisor = Supervisor(tmp_path_factory.mktemp("short-session-desk"), cwd=ROOT)
    supervisor.write_config([desk])
    supervisor.launch(config.environment())
    try:
        supervisor.start_in_order([[desk.name]])
        yield f"http://127.0.0.1:{port}"
    finally:
        supervisor.shutdown()


def test_an_agent_whose_session_ends_keeps_the_reply_and_the_chat(
    page: Page, agent_page: Page, stack: Stack, web_url: str, short_session_desk: str
) -> None:
    token = stack.config.secrets["INSIGHTS_AGENT_TOKEN"]
    console = DeskConsole(agent_page, short_session_desk).sign_in(token, "Sam")
    try:
        widget, session_id = queued_learner(page, web_url)
        console.take(session_id)
        widget.wait_for_bot(JOINED)
        agent_page.wait_for_timeout(SHORT_SESSION_SECONDS * 1000 + 500)
        console.reply("Are you still there?")
        expect(console.status).to_contain_text("Your session has ended")
        expect(agent_page.get_by_label("Your reply")).to_have_value("Are you still there?")
        expect(widget.agent_messages()).to_have_count(0)

        # Signed in again, the agent still has the chat and the learner gets the reply.
        console.sign_in(token, "Sam")
        agent_page.get_by_role("link", name="Open your chat").click()
        console.reply("Are you still there?")
        expect(widget.agent_messages().last).to_contain_text("Are you still there?")
        console.end("Not solved")
        widget.wait_for_bot(BACK)
    finally:
        agent_page.request.post(f"{short_session_desk}/insights/logout", max_redirects=0)


def test_with_nobody_at_the_desk_the_learner_gets_a_ticket(page: Page, web_url: str) -> None:
    widget = open_widget(page, web_url)
    widget.send("I want to talk to a human")
    bubble = widget.wait_for_bot("ticket number is CS-")
    expect(bubble).not_to_contain_text(QUEUED)
