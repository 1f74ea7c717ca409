"""The load counters can see a failure: what a learner gets when a turn failed (nothing,
the channels' apology, the account service's outage line) is a failed turn, not a served one."""

from __future__ import annotations

import pytest
import yaml

from rasa_addons.channels.guard import TROUBLE_REPLY
from stack.learner import ROOT, failed_turn

OUTAGE = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_service_down"]


@pytest.mark.parametrize(
    ("replies", "failure"),
    [
        ([], "empty"),
        ([{"text": "  "}], "empty"),
        ([{"text": TROUBLE_REPLY}], "apology"),
        *[([{"text": "Hi"}, {"text": variation["text"]}], "outage") for variation in OUTAGE],
        ([{"text": "Let's get you back in.", "buttons": []}], None),
    ],
)
def test_failed_turn_names_what_the_learner_saw(replies: list[dict], failure: str | None) -> None:
    assert failed_turn(replies) == failure
