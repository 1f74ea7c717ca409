"""The Rasa CLI as a Rasa developer uses it in this project (README, "For Rasa developers"):
`rasa train` knows the committed model is current, and `rasa shell` with the services of
`make services` answers a turn through the custom actions, and `rasa test core` passes every
test story end to end (as `make story-test` runs it)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pexpect

from stack.processes import BIN, ROOT, Stack

START_TIMEOUT = 240


def test_rasa_train_dry_run_finds_the_trained_model_current() -> None:
    """Without Rasa's validation of the data, as `make train` runs it: `make validate`
    runs the same validator (the story-structure check alone is most of a dry run)."""
    result = subprocess.run(
        [str(BIN / "rasa"), "train", "--dry-run", "--fixed-model-name", "accounts"]
        + ["--skip-validation"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No training of components required" in result.stdout


def test_rasa_test_core_predicts_every_test_story_from_its_text(tmp_path: Path) -> None:
    """The learners' words go through the NLU (--e2e): a story whose text is misread fails."""
    result = subprocess.run(
        [str(BIN / "rasa"), "test", "core", "--e2e", "--model", "models"]
        + ["--stories", "tests/stories", "--fail-on-prediction-errors"]
        + ["--out", str(tmp_path / "story-tests")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT * 2,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    failed = (tmp_path / "story-tests" / "failed_test_stories.yml").read_text()
    assert failed.startswith("# None of the test stories failed"), failed


def stop(shell: pexpect.spawn) -> None:
    """SIGKILL and wait for the exit: pexpect's own close gives a killed process 0.1 s to
    be gone, which a busy machine can exceed ("Could not terminate the child")."""
    if shell.isalive():
        shell.kill(signal.SIGKILL)
        shell.wait()
    shell.close()


def test_rasa_shell_answers_through_the_action_server(stack: Stack, tmp_path: Path) -> None:
    """A turn that needs a custom action (the address check) and the links of the response
    generator, as `rasa shell` runs with the committed endpoints.yml and `make services`;
    here on the test stack's ports, with the tracker in memory."""
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: {stack.config.action_url}\n"
        "nlg:\n  type: rasa_addons.links.LinkedResponseGenerator\n"
    )
    shell = pexpect.spawn(
        str(BIN / "rasa"),
        ["shell", "--model", str(ROOT / "models" / "accounts.tar.gz")]
        + ["--endpoints", str(endpoints)],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=START_TIMEOUT,
        dimensions=(50, 200),
    )
    try:
        shell.expect_exact("Bot loaded. Type a message and press enter")
        shell.sendline("I forgot my password, my address is ana.silva@example.com")
        shell.expect_exact("our article on resetting your password")
        shell.expect_exact("send the reset email to ana.silva@example.com for you")
        shell.expect_exact("Yes, send it")  # the buttons, as Rasa's menu shows them
    finally:
        stop(shell)
