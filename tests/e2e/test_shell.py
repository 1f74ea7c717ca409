"""A learner's `make shell`, typed key by key: the launcher starts the services quietly and
the terminal client answers buttons by number or by words typed while they are shown."""

from __future__ import annotations

import io
import json
import re
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect

from stack.desk_agent import DeskAgent
from stack.learner import RestLearner
from stack.processes import ROOT, StackConfig
from stack.shell import BUTTON_HINT, PROMPT
from tests.support.handoff import BACK, JOINED, QUEUED, agent_at_desk

START_TIMEOUT = 300
ADDRESS = "frank.muller@gmial.com"
# A line of an HTTP access log: aiohttp's ("GET /health 200"), Sanic's or the common format.
ACCESS_LOG = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD) (?:/|https?://)")


def walk_the_login_steps(shell: pexpect.spawn, code_sent_to: Callable[[str], str]) -> None:
    """hi -> "I can't log in" -> an address with a kept domain slip -> a code -> the reset mail
    -> "Yes, it worked"."""
    shell.sendline("hi")
    shell.expect_exact("What's going on?")
    shell.expect_exact("  1) I can't log in")
    shell.expect_exact(BUTTON_HINT)
    shell.expect_exact(PROMPT)
    shell.sendline("1")
    shell.expect_exact("  -> I can't log in")
    shell.expect_exact("exactly the address you used")
    shell.expect_exact("  2) No, still stuck")
    shell.expect_exact(PROMPT)
    shell.sendline(f"my email is {ADDRESS}")  # typed while "Did that work?" is on screen
    shell.expect_exact("Did you mean frank.muller@gmail.com?")  # the account's own spelling
    shell.expect_exact(f"  2) No, {ADDRESS} is right")
    shell.expect_exact(PROMPT)
    shell.sendline("2")
    shell.expect_exact("shall I email a 6-digit code")
    shell.expect_exact("  1) Yes, send the code")
    shell.expect_exact(PROMPT)
    shell.sendline("yes please")
    shell.expect_exact("Type it here when it arrives")  # the typed yes was understood
    shell.expect_exact(PROMPT)
    shell.sendline(code_sent_to(ADDRESS))
    shell.expect_exact("logs in with its email address and a password")
    shell.expect_exact(f"send the reset email to {ADDRESS} for you. Shall I send it?")
    shell.expect_exact("  1) Yes, send it")
    shell.expect_exact(PROMPT)
    shell.sendline("1")
    shell.expect_exact("  -> Yes, send it")
    shell.expect_exact("the reset email is on its way")
    shell.expect_exact("Did that work?")
    shell.expect_exact("  1) Yes, it worked")
    shell.expect_exact(PROMPT)
    shell.sendline("1")
    shell.expect_exact("  -> Yes, it worked")
    shell.expect_exact("glad that sorted it")
    shell.expect_exact(PROMPT)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def a_support_agent_writes_in_the_terminal(
    shell: pexpect.spawn, transcript: io.StringIO, agent: DeskAgent
) -> None:
    """The learner asks for a person; the agent's messages appear as they are sent."""
    shell.sendline("can I talk to a person?")
    shell.expect_exact(QUEUED)
    shell.expect_exact(PROMPT)
    sender = re.search(r"as (shell-\S+)\.", transcript.getvalue())
    assert sender, "the shell names its conversation"
    conversation = sender.group(1)
    agent.wait_for(conversation)
    assert agent.take(conversation)
    shell.expect_exact(JOINED)
    assert agent.reply(conversation, "Hi, this is Sam from support.") == 200
    shell.expect_exact("Sam (support): Hi, this is Sam from support.")
    shell.sendline("thanks Sam")
    agent.wait_for_line(conversation, "thanks Sam")
    agent.end(conversation)
    shell.expect_exact(BACK)
    shell.expect_exact("  1) Yes, it's solved")


def start_shell(var_dir: Path) -> pexpect.spawn:
    """`make shell` as a person starts it, on free ports with its data in `var_dir`."""
    return pexpect.spawn(
        str(ROOT / ".venv" / "bin" / "python"),
        ["-m", "stack", "shell", "--beside", str(var_dir)],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=120,
        dimensions=(60, 400),
    )


def test_make_shell_conversation_with_numbers_typed_answers_and_a_code(tmp_path: Path) -> None:
    shell = start_shell(tmp_path)
    transcript = io.StringIO()
    shell.logfile_read = transcript
    try:
        shell.expect_exact(PROMPT, timeout=START_TIMEOUT)
        ports = json.loads((tmp_path / "ports.json").read_text())
        launched = StackConfig(
            var_dir=tmp_path, rasa_port=ports["rasa"], account_port=ports["account"]
        )
        learner = RestLearner(launched)
        walk_the_login_steps(shell, learner.latest_code)
        web_url = f"http://127.0.0.1:{ports['web']}"
        with agent_at_desk(web_url, launched.secrets["INSIGHTS_AGENT_TOKEN"]) as agent:
            a_support_agent_writes_in_the_terminal(shell, transcript, agent)
        shell.sendline("/stop")
        shell.expect_exact("Goodbye!")
        shell.expect(pexpect.EOF)
    finally:
        shell.close(force=True)
        sys.stdout.write(transcript.getvalue())
    assert shell.exitstatus == 0
    lines = transcript.getvalue().splitlines()
    assert [line for line in lines if "warning" in line.lower()] == []
    assert [line for line in lines if ACCESS_LOG.search(line)] == []
    assert [name for name in ("rasa", "account", "action") if listening(ports[name])] == []


def test_closing_the_terminal_stops_everything(tmp_path: Path) -> None:
    shell = start_shell(tmp_path)
    shell.expect_exact(PROMPT, timeout=START_TIMEOUT)
    ports = json.loads((tmp_path / "ports.json").read_text())
    assert all(listening(ports[name]) for name in ("rasa", "account", "action"))
    # Closing the terminal's side of the pty: the kernel hangs up (SIGHUP) the shell.
    shell.close(force=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        listening(ports[name]) for name in ("rasa", "account", "action")
    ):
        time.sleep(0.5)
    assert [name for name in ("rasa", "account", "action") if listening(ports[name])] == []
