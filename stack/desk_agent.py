"""A support agent at the live desk (web/desk.py), over HTTP as the console's page does it:
sign in, watch the queue, take a conversation, read and write, end it. The tests and the
handoff latency report (`make bench-handoff`) drive the desk with it."""

from __future__ import annotations

import time
from typing import Any

import requests

WAIT_SECONDS = 30.0


class DeskError(RuntimeError):
    """The desk answered something other than what the console expects."""


class DeskAgent:
    def __init__(self, web_url: str, token: str, name: str) -> None:
        self.web_url = web_url.rstrip("/")
        self.token = token
        self.name = name
        self.http = requests.Session()
        self.last_line: dict[str, int] = {}

    def sign_in(self) -> DeskAgent:
        answer = self.http.post(
            f"{self.web_url}/insights/login",
            data={"token": self.token, "name": self.name, "next": "/desk"},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code != 303:
            raise DeskError(f"sign-in answered {answer.status_code}")
        return self

    def sign_out(self) -> None:
        self.http.post(f"{self.web_url}/insights/logout", allow_redirects=False, timeout=10)

    def queue(self) -> list[dict[str, Any]]:
        """The queue; reading it also tells the desk this agent is there."""
        answer = self.http.get(f"{self.web_url}/desk/queue.json", timeout=10)
        if answer.status_code != 200:
            raise DeskError(f"the queue answered {answer.status_code}")
        return list(answer.json()["queue"])

    def wait_for(self, conversation: str, state: str = "waiting") -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for entry in self.queue():
                if entry["conversation_id"] == conversation and entry["state"] == state:
                    return entry
            time.sleep(0.2)
        raise DeskError(f"{conversation} was not {state} in the queue")

    def take(self, conversation: str) -> bool:
        """True when this agent now has the conversation."""
        answer = self.http.post(
            f"{self.web_url}/desk/take",
            data={"conversation_id": conversation},
            allow_redirects=False,
            timeout=30,
        )
        return answer.status_code == 303 and answer.headers["Location"].startswith("/desk/chat/")

    def reply(self, conversation: str, text: str) -> int:
        """Sends a reply; the HTTP status (200 when sent, 401 when signed out)."""
        answer = self.http.post(
            f"{self.web_url}/desk/chat/{conversation}/reply", json={"text": text}, timeout=30
        )
        return answer.status_code

    def new_lines(self, conversation: str) -> list[dict[str, Any]]:
        """The transcript's lines this agent has not read yet."""
        after = self.last_line.get(conversation, 0)
        answer = self.http.get(
            f"{self.web_url}/desk/chat/{conversation}/events.json",
            params={"after": str(after)},
            timeout=10,
        )
        if answer.status_code != 200:
            raise DeskError(f"the transcript answered {answer.status_code}")
        data = answer.json()
        self.last_line[conversation] = data["last"]
        return list(data["lines"])

    def wait_for_line(self, conversation: str, text: str) -> dict[str, Any]:
        """The first new line containing `text`, polling as the console does."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for line in self.new_lines(conversation):
                if text in line["text"]:
                    return line
            time.sleep(0.2)
        raise DeskError(f"no line with {text!r} in {conversation}")

    def end(self, conversation: str, outcome: str = "solved") -> None:
        answer = self.http.post(
            f"{self.web_url}/desk/chat/{conversation}/end",
            data={"outcome": outcome},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 303:
            raise DeskError(f"ending answered {answer.status_code}")
