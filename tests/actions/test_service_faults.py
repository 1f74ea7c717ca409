"""The account service down, slow, failing or talking nonsense: every action answers with a
short apology or a way forward; never an exception, never internal detail."""

from __future__ import annotations

import pytest
from rasa_sdk import Action

from actions.account_check import ActionCheckAddress, ActionSendCode, ActionVerifyCode
from actions.handoff import ActionHandOver
from actions.login import ActionSendPasswordReset
from actions.missing_courses import ActionListCourses
from tests.support.actions import joined
from tests.support.faults import FAULT_MODES

INTERNALS = ("Traceback", "Error", "Exception", "aiohttp", "127.0.0.1", "500", "JSON")

# (action, slots before, what the learner types, the reply that must come, slots after)
CASES: list[tuple[Action, dict, str, str, dict]] = [
    (
        ActionSendCode(),
        {"email": "ana.silva@example.com", "address_check": "ok"},
        "yes",
        "can't reach our account system",
        {"code_status": "unavailable", "address_check": None},
    ),
    (
        ActionVerifyCode(),
        {"code_email": "ana.silva@example.com"},
        "123456",
        "can't reach our account system",
        {"code_status": "unavailable"},
    ),
    (
        ActionSendPasswordReset(),
        {"email": "ana.silva@example.com"},
        "yes",
        "can't reach our account system",
        {},
    ),
    (
        ActionListCourses(),
        {"verification_token": "t0ken"},
        "yes",
        "can't reach our account system",
        {},
    ),
    (ActionHandOver(), {}, "talk to a person", "Contact Us", {}),
    # The SSO lookup is a domain fact: without it the address is still usable.
    (ActionCheckAddress(), {}, "ana.silva@example.com", "", {"address_check": "ok"}),
]


@pytest.mark.parametrize("mode", FAULT_MODES)
@pytest.mark.parametrize(
    ("action", "before", "typed", "expected", "after"), CASES, ids=[c[0].name() for c in CASES]
)
async def test_an_outage_gets_a_way_forward(
    faulty_learner, mode: str, action: Action, before: dict, typed: str, expected: str, after: dict
) -> None:
    learner = faulty_learner(mode)
    learner.slots.update(before)
    reply = joined(await learner.run(action, typed))
    assert expected in reply
    assert not any(word in reply for word in INTERNALS)
    for name, value in after.items():
        assert learner.slots[name] == value
