"""Turns whose reply was lost, in a real browser: the widget sends them again with the same
turn id, the assistant handles each message once and replays its answer, the learner sees
each reply once, and a turn that gets no answer at all ends in a notice, not in silence.

The tests that freeze or kill the Rasa server run against a stack of their own."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from stack.learner import tracker_events
from stack.processes import ROOT, Stack, StackConfig, free_port, running
from tests.support.browser import (
    Widget,
    dropping_replies,
    open_widget,
    screenshot,
    socket_event,
)

MESSAGE = "I can't log in"
FIRST_STEP = re.compile("Did that work", re.I)
GIVE_UP = "may not have arrived"
# Gives up 2 + 0.5 + 1 + 2 = 5.5 s after sending when nothing answers.
QUICK_GIVE_UP = {"replyTimeoutMs": 2000, "resendDelayMs": 500, "resendTries": 3}
# Re-sends for 3 + 2 + 4 + … + 64 = 129 s: longer than the Rasa server takes to come back.
OUTLASTS_A_RESTART = {"replyTimeoutMs": 3000, "resendDelayMs": 2000, "resendTries": 6}
# A restarted Rasa server loads its model first; on a busy machine that can take a while.
RESTART_TIMEOUT_MS = 150_000


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (ROOT / "models" / "accounts.tar.gz").exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir = tmp_path_factory.mktemp("lost-turns-stack")
    config = StackConfig.on_free_ports(
        var_dir, log_dir=var_dir / "logs", web_port=free_port(), limits_scale=50
    )
    with running(config) as started:
        yield started


@pytest.fixture
def stack_under_test(own_stack: Stack) -> Iterator[Stack]:
    """The test's own stack, with its Rasa server running at the start and the end."""
    own_stack.supervisor.start("rasa")
    yield own_stack
    own_stack.supervisor.start("rasa")


def user_texts(stack: Stack, sender: str | None) -> list[str]:
    """What the tracker store holds of the learner's messages in one conversation."""
    assert sender is not None
    events = tracker_events(stack.config.tracker_db, sender)
    return [json.loads(data).get("text") for kind, data in events if kind == "user"]


def handled_once(stack: Stack, widget: Widget, text: str) -> None:
    """The conversation's tracker holds `text` once, and keeps holding it once (a late
    repeat of the turn would be stored within a few seconds)."""
    deadline = time.monotonic() + 10
    while user_texts(stack, widget.session_id()).count(text) == 0:
        assert time.monotonic() < deadline, f"{text!r} never reached the tracker store"
        time.sleep(0.2)
    time.sleep(2)
    assert user_texts(stack, widget.session_id()).count(text) == 1


def shown_once(widget: Widget) -> None:
    expect(widget.user_messages().filter(has_text=MESSAGE)).to_have_count(1)
    expect(widget.bot_messages().filter(has_text=FIRST_STEP)).to_have_count(1)
    expect(widget.typing).to_be_hidden()
    expect(widget.notice).to_be_hidden()


def type_message(widget: Widget) -> None:
    widget.input.fill(MESSAGE)
    widget.input.press("Enter")
    expect(widget.user_messages().last).to_have_text(MESSAGE)


@contextmanager
def frozen(stack: Stack) -> Iterator[int]:
    """The Rasa server stopped dead (SIGSTOP): its sockets stay open, nothing is handled."""
    pid = stack.supervisor.pid("rasa")
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        with suppress(ProcessLookupError):  # killed meanwhile
            os.killpg(pid, signal.SIGCONT)


def test_lost_reply_is_sent_again_and_shown_once(page: Page, web_url: str, stack: Stack) -> None:
    """The assistant handles the turn, but its replies never reach the page: the widget sends
    the turn again and the assistant replays its answer instead of handling it again."""
    sent: list[str] = []  # the turn id of every user_uttered on the socket
    dropping = {"on": False}

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_server(frame: str | bytes) -> None:
            event = socket_event(frame)
            if event and event[0] == "user_uttered":
                sent.append(event[1]["message_id"])
            server.send(frame)

        def to_page(frame: str | bytes) -> None:
            event = socket_event(frame)
            # Replies are lost until the widget sends a turn a second time.
            if event and event[0] == "bot_uttered" and dropping["on"]:
                dropping["on"] = len(set(sent)) == len(sent)
                if dropping["on"]:
                    return
            socket.send(frame)

        socket.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/socket\.io/"), relay)
    widget = open_widget(page, web_url, QUICK_GIVE_UP)
    dropping["on"] = True
    type_message(widget)
    widget.wait_for_bot(FIRST_STEP)
    shown_once(widget)
    turn = sent[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", turn) and sent.count(turn) >= 2
    handled_once(stack, widget, MESSAGE)


def test_replayed_replies_are_shown_once(page: Page, web_url: str) -> None:
    """Every reply arrives twice, as a replay would bring it; replies without a turn id (from
    a server that sends none) are shown as they come."""
    upgraded: list[WebSocketRoute] = []
    replies: list[str | bytes] = []

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_server(frame: str | bytes) -> None:
            # Engine.io's upgrade packet: from now on the page reads this websocket.
            if frame == "5":
                upgraded.append(socket)
            server.send(frame)

        socket.on_message(to_server)

        def to_page(frame: str | bytes) -> None:
            socket.send(frame)
            event = socket_event(frame)
            if event and event[0] == "bot_uttered":
                replies.append(frame)
                socket.send(frame)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/socket\.io/"), relay)
    widget = open_widget(page, web_url)
    type_message(widget)
    widget.wait_for_bot(FIRST_STEP)
    shown_once(widget)
    shown = widget.bot_messages().count()
    before_reload = len(upgraded)

    page.reload()
    widget = Widget(page)
    widget.wait_online()
    # "Online" can come over long-polling, before the websocket this test speaks on is in use.
    deadline = time.monotonic() + 30
    while len(upgraded) == before_reload:
        assert time.monotonic() < deadline, "the reloaded widget never upgraded to a websocket"
        page.wait_for_timeout(100)
    socket = upgraded[-1]
    # A replay after a reload: what was shown before it is remembered too.
    for frame in replies:
        socket.send(frame)
    untagged = '42["bot_uttered",{"text":"Untagged"}]'
    socket.send(untagged)
    socket.send(untagged)
    expect(widget.bot_messages().filter(has_text="Untagged")).to_have_count(2)
    expect(widget.bot_messages()).to_have_count(shown + 2)
    expect(widget.bot_messages().filter(has_text=FIRST_STEP)).to_have_count(1)


def test_message_waiting_at_a_reload_is_sent_again(page: Page, web_url: str, stack: Stack) -> None:
    """The learner reloads the page before the answer came: the reloaded widget sends the
    turn again and shows the replayed answer."""
    dropping = dropping_replies(page)
    widget = open_widget(page, web_url)
    dropping["on"] = True
    type_message(widget)
    # Handled, answer lost, and reloaded before the widget's first re-send (after 8 s).
    handled_once(stack, widget, MESSAGE)
    dropping["on"] = False
    page.reload()
    widget = Widget(page)
    widget.wait_for_bot(FIRST_STEP)
    shown_once(widget)
    handled_once(stack, widget, MESSAGE)


def test_waiting_address_is_not_kept_for_a_reload(page: Page, web_url: str, stack: Stack) -> None:
    """A waiting message with an address in it is not kept in the browser: after a reload the
    learner is asked to type it again."""
    address = "ben.okafor@gmail.com"
    dropping = dropping_replies(page)
    widget = open_widget(page, web_url)
    dropping["on"] = True
    widget.input.fill(address)
    widget.input.press("Enter")
    handled_once(stack, widget, address)
    stored = str(
        page.evaluate("() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }])")
    )
    assert "ben.okafor" not in stored
    page.reload()
    widget = Widget(page)
    expect(widget.notice).to_contain_text("may not have arrived. Please type it again")
    expect(widget.typing).to_be_hidden()


def test_turn_lost_with_a_killed_rasa_server_is_answered_once(
    page: Page, stack_under_test: Stack
) -> None:
    """The Rasa server freezes just before the learner sends and is then killed; supervisord
    starts it again and the widget sends the turn again once it is back."""
    supervisor = stack_under_test.supervisor
    widget = open_widget(page, stack_under_test.config.web_url, OUTLASTS_A_RESTART)
    with frozen(stack_under_test) as pid:
        type_message(widget)
        # Sent, and sent again, into a server that takes it in but never handles it.
        expect(widget.notice).to_contain_text("No reply yet")
        supervisor.kill("rasa")
    expect(widget.status).not_to_have_text("Online")
    supervisor.wait_ready("rasa")
    assert supervisor.pid("rasa") != pid
    expect(widget.bot_messages().filter(has_text=FIRST_STEP)).to_have_count(
        1, timeout=RESTART_TIMEOUT_MS
    )
    shown_once(widget)
    handled_once(stack_under_test, widget, MESSAGE)


def test_learner_is_told_when_the_assistant_stays_away(page: Page, stack_under_test: Stack) -> None:
    """No Rasa server for longer than the widget keeps trying: a notice says the message may
    not have arrived and offers to send it again, which works once the assistant is back."""
    supervisor = stack_under_test.supervisor
    widget = open_widget(page, stack_under_test.config.web_url, QUICK_GIVE_UP)
    supervisor.stop("rasa")
    type_message(widget)
    expect(widget.notice).to_contain_text(GIVE_UP)
    expect(widget.typing).to_be_hidden()
    send_again = widget.notice.get_by_role("button", name="Send again")
    expect(send_again).to_be_visible()
    screenshot(page, "desktop-gave-up")

    supervisor.start("rasa")
    widget.wait_online()
    # Given up means given up: nothing goes out until the learner asks.
    time.sleep(2)
    assert MESSAGE not in user_texts(stack_under_test, widget.session_id())
    send_again.click()
    widget.wait_for_bot(FIRST_STEP)
    shown_once(widget)
    handled_once(stack_under_test, widget, MESSAGE)


def test_late_answer_after_giving_up_is_shown_once(page: Page, stack_under_test: Stack) -> None:
    """The Rasa server is frozen past the widget's last try, then carries on: it takes in the
    message and every repeat of it at once, handles it once and the learner sees one answer,
    which replaces the notice."""
    widget = open_widget(page, stack_under_test.config.web_url, QUICK_GIVE_UP)
    with frozen(stack_under_test):
        type_message(widget)
        expect(widget.notice).to_contain_text(GIVE_UP)
    widget.wait_for_bot(FIRST_STEP)
    shown_once(widget)
    handled_once(stack_under_test, widget, MESSAGE)
