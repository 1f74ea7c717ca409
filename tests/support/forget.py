"""`make forget` as the tests run it, a conversation worth forgetting, and the search for
what is left of one, shared by the single-server and the cluster tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from stack.learner import Assistant, RestLearner
from stack.processes import ROOT


def chat_with_code_and_ticket(
    assistant: Assistant, address: str, client: str | None = None
) -> RestLearner:
    """A conversation that leaves something everywhere: an address, a code mail, a ticket."""
    chat = RestLearner(assistant, client=client)
    chat.say("I can't log in")
    chat.say(f"my email is {address}")
    assert "is on its way" in chat.text("yes, send the code")
    assert "your ticket number is CS-" in chat.text("/request_human")
    return chat


def make_forget(
    sender: str, *make_vars: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`make forget SENDER=<sender> <make_vars>`, with `env` added to this environment."""
    return subprocess.run(
        ["make", "--no-print-directory", "forget", f"SENDER={sender}", *make_vars],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def traces_in(data: bytes, traces: Iterable[str], where: str) -> list[str]:
    return [f"{trace} in {where}" for trace in traces if trace.encode() in data]


def traces_in_files(
    directories: Iterable[Path], traces: Iterable[str], skip: Iterable[Path] = ()
) -> list[str]:
    """Each trace found in a file under `directories` (read as bytes, so databases, their
    journals and logs alike), except the secrets file and what is under `skip`."""
    skipped = [path.resolve() for path in skip]
    traces = list(traces)
    found: list[str] = []
    for directory in dict.fromkeys(directories):
        for path in directory.rglob("*"):
            resolved = path.resolve()
            if any(resolved == other or other in resolved.parents for other in skipped):
                continue
            if path.is_file() and path.name != "secrets.env":
                found += traces_in(path.read_bytes(), traces, str(path.relative_to(directory)))
    return found
