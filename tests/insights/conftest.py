"""A stack of its own for the insights tests, so the tracker store holds exactly the
scripted conversations below and the expected figures are exact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from common.chromium import CHROMIUM, chromium
from stack.learner import RestLearner
from stack.processes import ROOT, Stack, StackConfig, free_port, running

# Addresses and codes typed in the scripted conversations: none may appear in full anywhere
# the insights show or export.
ANA = "ana.silva@example.com"
BEN = "ben.okafor@gmail.com"
ZOE = "zoe.quist@example.org"
TYPED_NUMBER = "482913"


@dataclass
class Scripted:
    """The conversations run, by name, and the codes that were typed."""

    stack: Stack
    senders: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture(scope="package")
def insights_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (ROOT / "models" / "accounts.tar.gz").exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir: Path = tmp_path_factory.mktemp("insights-stack")
    config = StackConfig.on_free_ports(
        var_dir, log_dir=var_dir / "logs", web_port=free_port(), limits_scale=50
    )
    with running(config) as started:
        yield started


@pytest.fixture(scope="package")
def scripted(insights_stack: Stack) -> Scripted:
    """Ten conversations with known outcomes (what each step's answer was, tickets, codes)."""
    result = Scripted(insights_stack)

    def chat(name: str, *messages: str) -> RestLearner:
        learner = RestLearner(insights_stack.config, sender=f"insights-{name}", client=None)
        result.senders[name] = learner.sender
        for message in messages:
            learner.say(message)
        return learner

    # login: step 1 no, step 2 yes.
    chat("login-solved", "/cant_log_in", "/deny", "/affirm")
    # login: leaves at step 1 without answering.
    chat("login-left", "/cant_log_in")
    # recaptcha: every step no, then takes the ticket (steps exhausted).
    chat("recaptcha-ticket", "/recaptcha_problem", "/deny", "/deny", "/deny", "/affirm")
    # missing courses, switches to recaptcha at step 1, whose step 1 works.
    chat("switch", "/missing_courses", "/recaptcha_problem", "/affirm")
    # account settings: asks for a person instead of answering.
    chat("person", "/change_account_settings", "/request_human")
    # login: types an address at step 1, takes the code, types it right.
    learner = chat("code-verified", "/cant_log_in", ANA, "/affirm")
    code = learner.latest_code(ANA)
    result.codes.append(code)
    learner.say(code)
    # login: the same with a wrong code.
    learner = chat("code-wrong", "/cant_log_in", BEN, "/affirm")
    code = learner.latest_code(BEN)
    result.codes += [code, wrong_code(code)]
    learner.say(wrong_code(code))
    # recaptcha: answers step 1 with words the assistant does not understand.
    chat("unclear", "/recaptcha_problem", "blorf quux zzz")
    # words read with low confidence (one with a number that looks like a code).
    chat("low-confidence", "lost all my things", f"nope {TYPED_NUMBER} zzz")
    # an address in words read with middling confidence: the code is offered.
    chat("address", f"lost all my stuff {ZOE}")
    return result


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run `make system-deps` (make test does it for you).")
    with chromium() as launched:
        yield launched
