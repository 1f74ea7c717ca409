"""`make shell`'s chat client (stack.shell) against a small real HTTP server that answers like
Rasa's REST channel: buttons become a numbered list, typed text is sent as typed, and a
server that is down or failing gets a one-line message instead of a traceback."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pexpect
import pytest

from stack.processes import ROOT, free_port
from stack.shell import BUTTON_HINT, converse

DID_THAT_WORK = {
    "text": "Did that work?",
    "buttons": [
        {"title": "Yes, it worked", "payload": "/affirm"},
        {"title": "No, still stuck", "payload": "/deny"},
    ],
}


def reply_to(message: str) -> tuple[int, list[dict[str, Any]]]:
    """What the fake assistant answers: HTTP status and the REST channel's messages."""
    if message in ("hi", "again"):
        return 200, [{"text": "Try resetting your password."}, DID_THAT_WORK]
    if message == "boom":
        return 500, []
    if message == "slow":
        time.sleep(1.0)
    return 200, [{"text": f"You sent {message}"}]


@dataclass
class FakeRasa:
    url: str
    received: list[dict[str, str]] = field(default_factory=list)

    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert self.path == "/webhooks/rest/webhook"
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.received.append(body)
            status, replies = reply_to(body["message"])
            data = json.dumps(
                [{"recipient_id": body["sender"], **reply} for reply in replies]
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client that timed out has hung up before the slow reply

    server = Server(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def chat(url: str, typed: str, **options: Any) -> str:
    """Everything the learner sees after typing `typed`."""
    stdout = io.StringIO()
    converse(url, stdin=io.StringIO(typed), stdout=stdout, **options)
    return stdout.getvalue()


def test_buttons_are_numbered_and_a_number_sends_the_payload(rasa: FakeRasa) -> None:
    seen = chat(rasa.url, "hi\n2\n")
    assert "Bot: Try resetting your password.\nBot: Did that work?\n" in seen
    assert "  1) Yes, it worked\n  2) No, still stuck\n" in seen
    assert "  -> No, still stuck\n" in seen
    assert rasa.messages() == ["hi", "/deny"]


def test_typed_text_is_sent_as_typed_while_buttons_are_shown(rasa: FakeRasa) -> None:
    seen = chat(rasa.url, "hi\nno\n 12 \n")
    assert rasa.messages() == ["hi", "no", "12"]
    assert "->" not in seen
    assert "Bot: You sent no\n" in seen


def test_buttons_stay_valid_only_until_the_next_bot_turn(rasa: FakeRasa) -> None:
    chat(rasa.url, "hi\nsomething\n1\n")
    assert rasa.messages() == ["hi", "something", "1"]


def test_the_hint_comes_with_the_first_buttons_only(rasa: FakeRasa) -> None:
    seen = chat(rasa.url, "hi\nagain\n1\n")
    assert seen.count(BUTTON_HINT) == 1
    assert seen.index(BUTTON_HINT) > seen.index("  2) No, still stuck")
    assert rasa.messages() == ["hi", "again", "/affirm"]


@pytest.mark.parametrize("ending", ["/stop", "/quit", "exit", "EXIT"])
def test_an_ending_word_leaves_without_sending_it(rasa: FakeRasa, ending: str) -> None:
    seen = chat(rasa.url, f"hi\n{ending}\nnot sent\n")
    assert rasa.messages() == ["hi"]
    assert seen.endswith("You: Goodbye!\n")


def test_end_of_input_says_goodbye_on_its_own_line(rasa: FakeRasa) -> None:
    seen = chat(rasa.url, "hi\n\n   \n")
    assert rasa.messages() == ["hi"]  # blank lines are not sent
    assert seen.endswith("You: \nGoodbye!\n")


def test_a_terminal_gets_lines_to_its_width_and_ctrl_c_says_goodbye(rasa: FakeRasa) -> None:
    terminal = pexpect.spawn(
        sys.executable,
        ["-m", "stack.shell", "--rasa-url", rasa.url],
        cwd=str(ROOT),
        env={**os.environ, "COLUMNS": "200"},  # stale: the terminal itself is 30 wide
        encoding="utf-8",
        dimensions=(24, 30),
        timeout=60,
        # Started as a shell starts a background job: Ctrl-C must still stop it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        terminal.expect_exact("You: ")
        terminal.sendline("hi")
        terminal.expect_exact("Bot: Try resetting your\r\n     password.\r\n")
        terminal.expect_exact("  2) No, still stuck")
        terminal.expect_exact("You: ")
        terminal.sendintr()
        terminal.expect(pexpect.EOF)
        seen = str(terminal.before)
    finally:
        terminal.close(force=True)
    assert seen.strip() == "Goodbye!"
    assert terminal.exitstatus == 0
    assert rasa.messages() == ["hi"]


def test_a_server_that_is_down_gets_a_line_and_the_learner_can_go_on() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    seen = chat(url, "hi\nhello\n")
    lines = [line for line in seen.splitlines() if "No answer from the assistant" in line]
    assert len(lines) == 2
    assert "refused" in lines[0]
    assert seen.endswith("Goodbye!\n")


def test_a_failing_or_slow_server_keeps_the_buttons_for_the_next_try(rasa: FakeRasa) -> None:
    seen = chat(rasa.url, "hi\nboom\nslow\n2\n", timeout=0.3)
    assert "No answer from the assistant at " + rasa.url + " (it answered HTTP 500)" in seen
    assert "(no reply within 0.3 s)" in seen
    assert rasa.messages() == ["hi", "boom", "slow", "/deny"]


def test_a_run_has_its_own_sender_and_restart_starts_a_new_one(rasa: FakeRasa) -> None:
    chat(rasa.url, "hi\n/restart\n1\nhello\n", sender="learner-1")
    chat(rasa.url, "hello\n")
    chat(rasa.url, "hello\n")
    senders = [body["sender"] for body in rasa.received]
    assert senders[0] == "learner-1"
    assert rasa.messages()[1] == "1"  # the restart dropped the old buttons
    assert senders[1] == senders[2] != senders[0]
    assert len(set(senders)) == 4


def test_the_command_line_client_chats_with_any_server(rasa: FakeRasa) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "stack.shell", "--rasa-url", rasa.url, "--sender", "cli"],
        input="hi\n1\n/stop\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert "  -> Yes, it worked" in finished.stdout
    assert finished.stdout.endswith("Goodbye!\n")
    assert finished.stderr == ""
    assert rasa.received == [
        {"sender": "cli", "message": "hi"},
        {"sender": "cli", "message": "/affirm"},
    ]
