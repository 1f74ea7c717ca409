"""What the learner reads during a live handoff, and an agent at the desk for a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page

from stack.desk_agent import DeskAgent
from tests.support.browser import Widget, open_widget

QUEUED = "Someone from our support team can join this chat now"
JOINED = "Sam from our support team has joined the chat"
BACK = "Sam has left the chat, and I'm back. Did that solve it?"


@contextmanager
def agent_at_desk(web_url: str, token: str, name: str = "Sam") -> Iterator[DeskAgent]:
    """An agent signed in at the desk; signed out afterwards, so later tests find nobody."""
    agent = DeskAgent(web_url, token, name).sign_in()
    agent.queue()  # the desk now knows the agent is there
    try:
        yield agent
    finally:
        agent.sign_out()


def queued_learner(page: Page, web_url: str) -> tuple[Widget, str]:
    """A learner in the widget who asked for a person and waits; with their session id."""
    widget = open_widget(page, web_url)
    widget.send("I can't log in")
    widget.send("can I talk to a person?")
    widget.wait_for_bot(QUEUED)
    session_id = widget.session_id()
    assert session_id
    return widget, session_id
