"""Off-script turns: a side question is taken out of the history and the waiting question
asked again; "how?" points to the step's page; "back to the steps" returns to the walk's
last step; a "yes" taken back becomes the answer "no"; a fact tried on the way that didn't
help makes the "no" the answer to the step before it."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.off_script import (
    HOW_TO,
    ActionBackToSteps,
    ActionExplainStep,
    ActionNoToTheStepBefore,
    ActionResumeWalk,
    ActionTakeAsNo,
)

REWIND = UserUtteranceReverted()
LISTEN_NEXT = FollowupAction("action_listen")


def bot(name: str) -> dict[str, Any]:
    return {"event": "bot", "text": name, "metadata": {"utter_action": name}}


def user(intent: str, text: str = "", **extra: Any) -> dict[str, Any]:
    parse = {"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text}
    return {"event": "user", "text": text or f"/{intent}", "parse_data": parse, **extra}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def walk(*steps: str) -> list[dict[str, Any]]:
    """A session in which each step was followed by "Did that work?" and a "no"."""
    events = [action("action_session_start"), {"event": "session_started"}]
    for number, step in enumerate(steps):
        if number:
            events += [action("action_listen"), user("deny", "no")]
        events += [
            action(step),
            bot(step),
            action("utter_did_that_work"),
            bot("utter_did_that_work"),
        ]
    return events


async def run(
    domain: Domain,
    act: Action,
    events: list[dict[str, Any]],
    slots: dict[str, Any] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """The responses `act` sends and the events it returns, but for the slots it keeps
    (see test_going_back_keeps_the_proven_address)."""
    latest = next(e for e in reversed(events) if e["event"] == "user")
    tracker = Tracker(
        sender_id="learner-1",
        slots=slots or {},
        latest_message=latest["parse_data"],
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    result = await act.run(dispatcher, tracker, domain.as_dict())
    return [m["response"] for m in dispatcher.messages], [
        event for event in result if event["event"] != "slot"
    ]


async def test_a_side_question_is_taken_back_and_the_step_question_asked_again(
    domain: Domain,
) -> None:
    events = walk("utter_login_check_address", "utter_login_reset_password")
    events += [action("action_listen"), user("bot_challenge", "are you a bot?")]
    events += [action("utter_iamabot"), bot("utter_iamabot")]
    said, result = await run(domain, ActionResumeWalk(), events)
    assert said == ["utter_back_to_step", "utter_login_reset_password", "utter_did_that_work"]
    assert result == [REWIND, LISTEN_NEXT]


@pytest.mark.parametrize("sent", ["utter_reset_sent", "utter_verification_resent"])
async def test_a_mail_sent_is_not_said_again_after_a_side_question(
    domain: Domain, sent: str
) -> None:
    events = walk(sent) + [action("action_listen"), user("bot_challenge", "are you a bot?")]
    events += [action("utter_iamabot"), bot("utter_iamabot")]
    said, _ = await run(domain, ActionResumeWalk(), events)
    assert said == ["utter_back_to_step", "utter_did_that_work"]


async def test_without_a_waiting_question_the_side_question_is_only_taken_back(
    domain: Domain,
) -> None:
    events = [action("action_send_code"), bot("utter_code_sent"), action("action_listen")]
    events += [user("bot_challenge", "are you human?"), bot("utter_iamabot")]
    said, result = await run(domain, ActionResumeWalk(), events)
    assert said == []
    assert result == [REWIND, LISTEN_NEXT]


async def test_a_turn_that_asked_again_itself_gets_no_second_question(domain: Domain) -> None:
    events = walk("utter_login_check_address")
    events += [action("action_listen"), user("inform", "tom@example"), bot("utter_invalid_email")]
    said, result = await run(domain, ActionResumeWalk(), events)
    assert said == []
    assert result == [REWIND, LISTEN_NEXT]


@pytest.mark.parametrize(
    ("step", "page"),
    [*HOW_TO.items(), ("utter_recaptcha_clear_cache", "utter_how_no_detail")],
)
async def test_how_points_to_the_steps_page(domain: Domain, step: str, page: str) -> None:
    events = walk(step) + [action("action_listen"), user("ask_how", "how do I do that?")]
    said, result = await run(domain, ActionExplainStep(), events)
    # A page is something new to try; without one the step itself is said again.
    again = [] if page != "utter_how_no_detail" else [step]
    assert said == [page, "utter_back_to_step", *again, "utter_did_that_work"]
    assert result == [REWIND, LISTEN_NEXT]


async def test_how_after_a_side_question_still_finds_the_step(domain: Domain) -> None:
    events = walk("utter_login_reset_password")
    events += [action("action_listen"), user("bot_challenge"), bot("utter_iamabot")]
    events += [bot("utter_back_to_step"), bot("utter_did_that_work"), {"event": "rewind"}]
    events += [action("action_listen"), user("ask_how", "how?")]
    said, _ = await run(domain, ActionExplainStep(), events)
    assert said[0] == "utter_how_reset_password"


async def test_back_to_the_steps_undoes_every_turn_since_the_step(domain: Domain) -> None:
    events = walk("utter_login_check_address")
    # An address, a code offer taken, the mail limit; a side question already taken back.
    events += [action("action_listen"), user("inform", "ana@example.com")]
    events += [bot("utter_offer_code"), action("action_listen"), user("bot_challenge")]
    events += [bot("utter_iamabot"), {"event": "rewind"}, action("action_listen")]
    events += [user("affirm", "yes")]
    events += [bot("utter_mail_limit"), bot("utter_limit_options")]
    events += [action("action_listen"), user("deny", "/deny")]
    said, result = await run(domain, ActionBackToSteps(), events)
    assert said == ["utter_back_to_step", "utter_login_check_address", "utter_did_that_work"]
    assert result == [REWIND, REWIND, REWIND, LISTEN_NEXT]


@pytest.mark.parametrize("act", [ActionBackToSteps(), ActionTakeAsNo()])
async def test_going_back_keeps_the_proven_address(domain: Domain, act: Action) -> None:
    """Taking turns back undoes their slots; the proof and the addresses are set again,
    the slots that steer the dialogue are not."""
    events = walk("utter_login_check_address") + [action("action_listen"), user("deny", "no")]
    slots = {"verified_email": "ana@example.com", "verification_token": "t", "code_status": "x"}
    tracker = Tracker("learner-1", slots, events[-1]["parse_data"], events, False, None, {}, "")
    result = await act.run(CollectingDispatcher(), tracker, domain.as_dict())
    kept = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert kept["verified_email"] == "ana@example.com"
    assert kept["verification_token"] == "t"
    assert "code_status" not in kept


async def test_back_to_the_steps_before_any_walk_shows_the_topics(domain: Domain) -> None:
    events = [action("action_listen"), user("inform", "ana@example.com")]
    events += [bot("utter_offer_code"), action("action_listen"), user("affirm")]
    events += [bot("utter_mail_limit"), action("action_listen"), user("deny")]
    said, result = await run(domain, ActionBackToSteps(), events)
    assert said == []
    assert result == [FollowupAction("utter_what_next")]


def as_no(message: dict[str, Any]) -> dict[str, Any]:
    parse_data = {**message["parse_data"], "intent": {"name": "deny", "confidence": 1.0}}
    return {
        **{key: message[key] for key in ("event", "text", "message_id")},
        "parse_data": parse_data,
    }


async def test_a_taken_back_yes_becomes_the_answer_no(domain: Domain) -> None:
    events = walk("utter_login_social")
    events += [action("action_listen"), user("thank", "thanks!"), bot("utter_glad")]
    no = user("deny", "no wait, still broken", message_id="turn-42")
    events += [action("action_listen"), no]
    said, result = await run(domain, ActionTakeAsNo(), events)
    assert said == []
    assert result == [REWIND, REWIND, ActionExecuted("action_listen"), as_no(no)]


async def test_the_problem_named_again_is_the_answer_no(domain: Domain) -> None:
    events = walk("utter_login_check_address")
    again = user("cant_log_in", "I still can't log in", message_id="turn-7")
    events += [action("action_listen"), again]
    said, result = await run(domain, ActionTakeAsNo(), events)
    assert said == []
    assert result == [REWIND, ActionExecuted("action_listen"), as_no(again)]


async def test_a_fact_tried_on_the_way_passes_the_no_to_the_step_before(domain: Domain) -> None:
    """Step 1, an address whose organization requires SSO offered as something to try, "no":
    both turns since step 1's question are undone and the "no" answers step 1."""
    events = walk("utter_login_check_address")
    events += [action("action_listen"), user("inform", "david.kim@stateuniversity.edu")]
    events += [action("action_check_address"), bot("utter_domain_requires_sso")]
    events += [action("utter_did_that_work"), bot("utter_did_that_work")]
    no = user("deny", "no", message_id="turn-9")
    events += [action("action_listen"), no]
    said, result = await run(domain, ActionNoToTheStepBefore(), events)
    assert said == []
    assert result == [REWIND, REWIND, ActionExecuted("action_listen"), as_no(no)]


@pytest.mark.parametrize("offer", ["utter_second_account_lookup", "utter_verification_ask_address"])
async def test_back_to_the_steps_after_an_offer_of_ours_goes_on_with_the_rest(
    domain: Domain, offer: str
) -> None:
    """The step, "no", our offer asking for an address, the address, the code declined:
    the step is not asked again (the learner said no to it); the rest of a walk the learner
    left, or a person (action_rest_of_walk decides)."""
    events = walk("utter_second_account_check")
    events += [action("action_listen"), user("deny", "no"), action(offer), bot(offer)]
    events += [action("action_listen"), user("inform", "emma@example.com")]
    events += [action("action_check_address"), bot("utter_offer_code")]
    declined = user("deny", "/deny", message_id="turn-9")
    events += [action("action_listen"), declined, bot("utter_code_declined")]
    said, result = await run(domain, ActionBackToSteps(), events)
    assert said == []
    assert result == [FollowupAction("action_rest_of_walk")]


async def test_a_fact_tried_before_any_walk_offers_a_person(domain: Domain) -> None:
    events = [action("action_listen"), user("inform", "li.wei@northwind.edu")]
    events += [action("action_check_address"), bot("utter_domain_requires_sso")]
    events += [action("utter_did_that_work"), bot("utter_did_that_work")]
    events += [action("action_listen"), user("deny", "no")]
    said, result = await run(domain, ActionNoToTheStepBefore(), events)
    assert said == ["utter_offer_ticket"]
    assert result == []
