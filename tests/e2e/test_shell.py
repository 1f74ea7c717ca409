"""A support engineer's `rasa shell` session, driven key by key against the running services."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect

from stack.learner import RestLearner
from stack.processes import BIN, ROOT, Stack, free_port

UP, ENTER = "\x1b[A", "\r"
OWN_MESSAGE = "Type out your own message"
PROMPT = "Your input ->"


def test_shell_conversation_with_buttons_free_text_and_a_code(stack: Stack, tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: {stack.config.action_url}\n")
    shell = pexpect.spawn(
        str(BIN / "rasa"),
        ["shell", "--model", str(ROOT / "models"), "--endpoints", str(endpoints)]
        + ["--port", str(free_port())],
        cwd=str(ROOT),
        env=stack.config.environment(),
        encoding="utf-8",
        timeout=120,
        dimensions=(60, 400),
    )
    shell.logfile_read = sys.stdout
    try:
        shell.expect(PROMPT)
        shell.sendline("hi")
        shell.expect(OWN_MESSAGE)
        shell.send(ENTER)  # first button: "I can't log in"
        shell.expect("character for character")
        shell.expect(OWN_MESSAGE)
        shell.send(UP + ENTER)  # choose to type instead of pressing a button
        shell.expect(PROMPT)
        shell.sendline("my email is frank.muller@gmial.com")
        shell.expect("shall I email a 6-digit code")
        shell.expect(OWN_MESSAGE)
        shell.send(ENTER)  # "Yes, send the code"
        shell.expect("Type it here when it arrives")
        shell.expect(PROMPT)
        shell.sendline(RestLearner(stack.config).latest_code("frank.muller@gmial.com"))
        shell.expect("signs in with its email address and password")
        shell.expect("Shall I send it to frank.muller@gmial.com")
        shell.expect(OWN_MESSAGE)
        shell.send(ENTER)  # "Yes, send it"
        shell.expect("the reset email is on its way")
        shell.expect("Did that work")
        shell.expect(OWN_MESSAGE)
        shell.send(ENTER)  # "Yes, it worked"
        shell.expect("glad that sorted it")
        shell.expect(PROMPT)
        shell.sendline("/stop")
        shell.expect(pexpect.EOF)
    finally:
        shell.close(force=True)
