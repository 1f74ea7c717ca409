"""Chat with the assistant in a terminal (`make shell`), over its REST channel.

It replaces `rasa shell`, which turns every set of buttons into a menu: there a learner who
types "no" gets the highlighted "Yes, it worked". Here buttons are a numbered list, a bare
number picks one, and anything else is sent exactly as typed, as in the chat widget.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib
import os
import signal
import sys
import textwrap
import threading
import urllib.error
from typing import Any, TextIO

from stack.learner import desk_updates, http_json, message, new_sender, webhook_url
from stack.processes import StackConfig

PROMPT = "You: "
BOT = "Bot: "
ENDINGS = frozenset({"/stop", "/quit", "/exit", "exit", "quit"})
RESTART = "/restart"
BUTTON_HINT = "(Type a number to pick a button, or write your answer in your own words.)"
# Long enough for the first turn of a freshly started Rasa, short enough not to look hung.
REPLY_TIMEOUT = 60.0
# How often the chat asks whether a support agent wrote (REST has no push).
DESK_POLL_SECONDS = 1.0


class NoAnswer(Exception):
    """The server could not be reached or did not give a usable answer."""


def post_message(rasa_url: str, sender: str, text: str, timeout: float) -> list[dict[str, Any]]:
    """The bot's replies to one message, as the REST channel returns them."""
    try:
        replies = http_json(webhook_url(rasa_url), message(sender, text), timeout=timeout)
    except urllib.error.HTTPError as error:
        raise NoAnswer(f"it answered HTTP {error.code}") from error
    except urllib.error.URLError as error:
        raise NoAnswer(str(error.reason)) from error
    except TimeoutError as error:
        raise NoAnswer(f"no reply within {timeout:g} s") from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise NoAnswer(str(error) or type(error).__name__) from error
    if not isinstance(replies, list):
        raise NoAnswer("its reply was not a list of messages")
    return replies


def title(button: dict[str, Any]) -> str:
    return str(button.get("title") or button.get("payload"))


class Conversation:
    """One learner's side of the chat: who they are and which buttons they can pick.

    A support agent's messages (and the assistant's when it steps aside or comes back) are
    read every DESK_POLL_SECONDS from the REST channel's updates and printed as they come."""

    def __init__(self, rasa_url: str, sender: str, stdout: TextIO, timeout: float) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.sender = sender
        self.stdout = stdout
        self.timeout = timeout
        self.buttons: list[dict[str, Any]] = []
        self.hinted = False
        self.desk_after = 0.0
        self.output_lock = threading.RLock()

    def say(self, line: str) -> None:
        with self.output_lock:
            self.stdout.write(line + "\n")
            self.stdout.flush()

    def width(self) -> int | None:
        """The terminal's width now (it may have been resized; COLUMNS may be stale); None
        when the output is not a terminal, which then gets whole lines."""
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns
        except (OSError, ValueError):
            return None

    def bot_says(self, text: str, speaker: str = BOT) -> None:
        """One message, its later lines indented under the first."""
        indent = " " * len(speaker)
        width = self.width()
        for number, paragraph in enumerate(text.splitlines()):
            prefix = indent if number else speaker
            if width is None:
                self.say((prefix + paragraph).rstrip())
            else:
                wrapped = textwrap.fill(
                    paragraph, width - 1, initial_indent=prefix, subsequent_indent=indent
                )
                self.say(wrapped or prefix.rstrip())

    def show(self, replies: list[dict[str, Any]]) -> None:
        """Prints one bot turn; its buttons replace the previous turn's."""
        self.buttons = []
        for reply in replies:
            if reply.get("text"):
                agent = reply.get("agent")
                self.bot_says(str(reply["text"]), f"{agent} (support): " if agent else BOT)
            for button in reply.get("buttons") or []:
                self.buttons.append(button)
                self.say(f"  {len(self.buttons)}) {title(button)}")
        if self.buttons and not self.hinted:
            self.say(BUTTON_HINT)
            self.hinted = True

    def outgoing(self, line: str) -> str:
        """What to send for a typed line: a shown button's payload for its number, else the
        text as typed."""
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            button = self.buttons[int(line) - 1]
            self.say(f"  -> {title(button)}")
            return str(button.get("payload") or title(button))
        return line

    def send(self, line: str) -> None:
        text = self.outgoing(line)
        try:
            replies = post_message(self.rasa_url, self.sender, text, self.timeout)
        except NoAnswer as problem:
            self.say(
                f"No answer from the assistant at {self.rasa_url} ({problem}); "
                "try again in a moment."
            )
            return
        self.show(replies)

    def restart(self) -> None:
        self.sender = new_sender("shell")
        self.buttons = []
        self.desk_after = 0.0
        self.say(f"(New conversation as {self.sender}.)")

    def poll_desk(self) -> None:
        """Prints what the support desk said since the last look, above a fresh prompt."""
        try:
            updates = desk_updates(self.rasa_url, self.sender, self.desk_after)
        except (OSError, http.client.HTTPException, ValueError):
            return  # the turn's own request reports an assistant that is down
        messages = [m for m in updates.get("messages") or [] if m.get("at", 0) > self.desk_after]
        if not messages:
            return
        with self.output_lock:
            self.desk_after = max(float(m["at"]) for m in messages)
            self.stdout.write("\n")
            self.show(messages)
            self.stdout.write(PROMPT)
            self.stdout.flush()

    def watch_desk(self, stop: threading.Event) -> threading.Thread:
        def watch() -> None:
            while not stop.wait(DESK_POLL_SECONDS):
                self.poll_desk()

        watcher = threading.Thread(target=watch, name="desk-watcher", daemon=True)
        watcher.start()
        return watcher


def read_line(stdin: TextIO, stdout: TextIO) -> str | None:
    """The next typed line without its newline; None at end of input."""
    if stdin is sys.stdin and stdout is sys.stdout:
        try:
            return input(PROMPT)
        except EOFError:
            return None
    stdout.write(PROMPT)
    stdout.flush()
    line = stdin.readline()
    return line.rstrip("\r\n") if line else None


def converse(
    rasa_url: str,
    sender: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    timeout: float = REPLY_TIMEOUT,
) -> None:
    """Chats until the learner leaves (/stop, exit, Ctrl-D or Ctrl-C); never raises for a
    server that is down, so the caller can stop the services afterwards."""
    chat = Conversation(rasa_url, sender or new_sender("shell"), stdout, timeout)
    if stdin is sys.stdin:
        # input() edits the line with readline (arrow keys, history) once it is imported.
        with contextlib.suppress(ImportError):
            importlib.import_module("readline")
    chat.say(
        f"Chatting with the assistant at {chat.rasa_url} as {chat.sender}. "
        f"Type {RESTART} for a new conversation, /stop to leave."
    )
    goodbye = "Goodbye!"
    stop = threading.Event()
    chat.watch_desk(stop)
    try:
        while True:
            line = read_line(stdin, stdout)
            if line is None:
                goodbye = "\n" + goodbye  # Ctrl-D leaves the cursor after the prompt
                break
            line = line.strip()
            if line.lower() in ENDINGS:
                break
            if line == RESTART:
                chat.restart()
            elif line:
                chat.send(line)
    except KeyboardInterrupt:
        goodbye = "\n" + goodbye
    stop.set()
    # The terminal may be gone already (SIGHUP); the goodbye is then nobody's loss.
    with contextlib.suppress(OSError):
        chat.say(goodbye)


def ctrl_c_interrupts() -> None:
    """Ctrl-C raises KeyboardInterrupt even in a process started with SIGINT ignored (a
    shell starts background jobs so, and Python then keeps it ignored): it is how a person
    stops the chat and the launcher."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def main() -> None:
    ctrl_c_interrupts()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rasa-url", default=StackConfig().rasa_url, help="Rasa server base URL")
    parser.add_argument("--sender", help="conversation id (default: a new one)")
    args = parser.parse_args()
    converse(args.rasa_url, args.sender)


if __name__ == "__main__":
    main()
