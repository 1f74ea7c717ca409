"""Addresses and one-time codes: looking at the learner's account without leaking it.

Nothing here says whether an address has an account until the learner has typed the
code we emailed to it. Before that, every reply is the same for any address; only
domain facts (an organization that requires single sign-on) may be told. Proof of
control is a token the account service issues and checks; the slots only carry it.

Each action says what it found and sets one categorical slot (`address_check`,
`code_status`, `account_state`); the stories in data/stories/account_check.yml decide
what comes next from that slot.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_client import (
    AccountServiceUnavailable,
    AccountState,
    CodeCheckResult,
    get_client,
)
from actions.off_script import put_back, said, session_history
from actions.steps import (
    CAUSE_2,
    COURSES_CACHE,
    SECOND_ACCOUNT,
    STEP_1,
    STEP_2,
    STEP_3,
    WALKS,
)
from actions.typos import split_address, suggested_correction
from actions.walks import PROVEN_WALKS, walks_left
from common.addresses import is_valid_email
from common.codes import find_typed_code

logger = logging.getLogger(__name__)

# How a failed code check is told, by the account service's status.
ENDED_CODE_REPLIES = {
    "expired": "utter_code_expired",
    "no_code": "utter_code_none",
    "too_many_attempts": "utter_code_locked",
}

Events = list[dict[str, Any]]

# The channel's opaque id of the learner's network address (see rasa_addons/channels).
_CLIENT_ID = re.compile(r"^[0-9a-f]{16}$")


def clean_address(text: str) -> str:
    """Strips the quotes, brackets and sentence punctuation people type around addresses."""
    return text.strip().strip("<>\"'()[],;:!?").rstrip(".")


def latest_entity(tracker: Tracker, kind: str) -> str | None:
    """The last `kind` entity of the learner's latest message, if any."""
    values = [
        entity.get("value")
        for entity in tracker.latest_message.get("entities", [])
        if entity.get("entity") == kind and entity.get("value")
    ]
    return str(values[-1]).strip() if values else None


def known_email(tracker: Tracker) -> str | None:
    """The learner's proven address if there is one, else the one they last typed."""
    email = clean_address(tracker.get_slot("verified_email") or tracker.get_slot("email") or "")
    return email if is_valid_email(email) else None


def client_id(tracker: Tracker) -> str | None:
    """The learner's client id from the message metadata, for the service's limits.

    Without one (rasa shell, tests) the service counts the call in a shared bucket.
    """
    metadata = tracker.latest_message.get("metadata") or {}
    value = metadata.get("client") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and _CLIENT_ID.match(value) else None


def turn_key(tracker: Tracker, action: str) -> str | None:
    """The idempotency key of `action`'s calls that change something, in this turn.

    A turn handled again after a crash keeps the channel's message id, so its repeated call
    gets the service's first answer instead of a second mail or ticket; the action's name
    tells apart the actions of one turn. None (no key sent) without a message id.
    """
    message_id = tracker.latest_message.get("message_id")
    if not message_id:
        return None
    turn = json.dumps([str(tracker.sender_id), str(message_id), action])
    return hashlib.sha256(turn.encode()).hexdigest()


def minutes(seconds: int | None) -> int:
    """A wait as the learner is told it: whole minutes, at least one."""
    return max(1, math.ceil((seconds or 0) / 60))


class ActionCheckAddress(Action):
    """A typed address: its shape, a likely domain typo and whether its domain needs SSO."""

    def name(self) -> str:
        return "action_check_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        text = tracker.latest_message.get("text") or ""
        typed = latest_entity(tracker, "email") or next((w for w in text.split() if "@" in w), "")
        if not typed:  # "use another address" pressed, or an answer without one
            dispatcher.utter_message(response="utter_ask_other_address")
            return [SlotSet("address_check", "invalid")]
        address = clean_address(typed)
        if not is_valid_email(address):
            dispatcher.utter_message(response="utter_invalid_email", typed=address[:80])
            return [SlotSet("address_check", "invalid")]
        domain_name = split_address(address)[1]
        correction = suggested_correction(address)
        if correction and address != tracker.get_slot("address_confirmed"):
            dispatcher.utter_message(
                response="utter_possible_typo",
                domain=domain_name,
                suggestion=split_address(correction)[1],
                corrected=correction,
            )
            return [SlotSet("email", address), SlotSet("address_check", "possible_typo")]
        events: Events = [SlotSet("email", address)]
        try:
            organization = await get_client().sso_organization(domain_name)
        except AccountServiceUnavailable:
            # Only a domain fact is lost; the code offer that follows reports the outage.
            logger.warning("SSO lookup failed for a typed domain")
            organization = None
        if organization:
            dispatcher.utter_message(
                response="utter_domain_requires_sso", domain=domain_name, organization=organization
            )
            return [*events, SlotSet("address_check", "sso_domain")]
        return [*events, SlotSet("address_check", "ok")]


class ActionSettleAddress(Action):
    """The answer to "did you mean …?" after a likely slip in a typed address: the message
    with the address is put back with the address meant, as if the learner had typed that
    one, so the walk goes on from the step that asked for it. "Yes" takes the suggestion;
    "no" or "it's right" keeps the typed address (not asked about again); a new address
    replaces it.
    """

    def name(self) -> str:
        return "action_settle_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        typed = str(tracker.get_slot("email") or "")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        learned: Events = []
        if intent == "affirm":
            meant = suggested_correction(typed) or typed
        elif intent == "inform" and latest_entity(tracker, "email"):
            meant = clean_address(str(latest_entity(tracker, "email")))
        else:
            meant = typed
            learned = [SlotSet("address_confirmed", typed)]
        address_message = [e for e in session_history(tracker) if e.get("event") == "user"][-2]
        text = str(address_message.get("text") or "")
        entities = [
            {**entity, "value": meant} if entity.get("entity") == "email" else entity
            for entity in address_message.get("parse_data", {}).get("entities", [])
        ]
        as_meant = {"text": re.sub(re.escape(typed), meant, text, flags=re.I), "entities": entities}
        return put_back(tracker, domain, 2, as_meant, learned, turns_ago=1)


class ActionSendCode(Action):
    """Emails a one-time code to the typed address (the same reply for any address)."""

    def name(self) -> str:
        return "action_send_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        # The address check has done its job; the code's status steers from here.
        return [SlotSet("address_check", None), *await self.request(dispatcher, tracker)]

    async def request(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        address = known_email(tracker)
        if not address:
            dispatcher.utter_message(response="utter_ask_code_first")
            return [SlotSet("code_status", "not_sent")]
        try:
            result = await get_client().request_code(
                address,
                str(tracker.sender_id),
                client_id(tracker),
                idempotency_key=turn_key(tracker, self.name()),
            )
        except AccountServiceUnavailable:
            dispatcher.utter_message(response="utter_service_down")
            return [SlotSet("code_status", "unavailable")]
        if result.status == "sent":
            dispatcher.utter_message(response="utter_code_sent", email=address)
            return [SlotSet("code_email", address), SlotSet("code_status", "sent")]
        if result.status == "too_many_codes":
            dispatcher.utter_message(response="utter_code_limit")
            return [SlotSet("code_status", "limit")]
        if result.status == "mail_limit":
            dispatcher.utter_message(
                response="utter_mail_limit", minutes=minutes(result.retry_after_seconds)
            )
            return [SlotSet("code_status", "mail_limit")]
        dispatcher.utter_message(response="utter_invalid_email", typed=address)
        return [SlotSet("code_status", "refused")]


class ActionVerifyCode(Action):
    """Checks a typed code; once the address is proven, says what the account shows."""

    def name(self) -> str:
        return "action_verify_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        address = tracker.get_slot("code_email")
        code = find_typed_code(
            latest_entity(tracker, "code") or tracker.latest_message.get("text") or ""
        )
        if not address or not code:
            dispatcher.utter_message(response="utter_ask_code_first")
            return [SlotSet("code_status", "not_sent")]
        client = get_client()
        conversation_id = str(tracker.sender_id)
        try:
            result = await client.verify_code(
                address,
                code,
                conversation_id,
                client_id(tracker),
                idempotency_key=turn_key(tracker, self.name()),
            )
            if result.status != "verified" or not result.token:
                return self.refused(dispatcher, result, address)
            state = await client.account_state(result.token, conversation_id)
        except AccountServiceUnavailable:
            dispatcher.utter_message(response="utter_service_down")
            return [SlotSet("code_status", "unavailable")]
        if state is None:  # the token was refused straight after being issued
            dispatcher.utter_message(response="utter_service_down")
            return [SlotSet("code_status", "unavailable")]
        dispatcher.utter_message(response="utter_code_verified", email=address)
        return [
            SlotSet("verification_token", result.token),
            SlotSet("verified_email", address),
            SlotSet("code_email", None),
            SlotSet("code_status", "verified"),
            SlotSet("account_state", describe_state(dispatcher, state, tracker)),
        ]

    @staticmethod
    def refused(dispatcher: CollectingDispatcher, result: CodeCheckResult, address: str) -> Events:
        status = result.status
        if status == "wrong_code" and result.attempts_left:
            dispatcher.utter_message(
                response="utter_code_wrong", attempts_left=result.attempts_left
            )
            return [SlotSet("code_status", "wrong")]
        if status == "slow_down":
            dispatcher.utter_message(
                response="utter_code_slow_down", seconds=result.retry_after_seconds
            )
            return [SlotSet("code_status", "wait")]
        if status == "guess_limit":
            dispatcher.utter_message(
                response="utter_code_guess_limit", minutes=minutes(result.retry_after_seconds)
            )
            return [SlotSet("code_status", "blocked")]
        reply = ENDED_CODE_REPLIES.get(status, "utter_code_locked")
        dispatcher.utter_message(response=reply, email=address)
        return [SlotSet("code_status", "ended")]


# Where a section's stories go on from a proven account's state: the states the section's
# article text speaks of (renamed where its stories differ), and the one it goes on from for
# any other (None: every state as it is). Sections not listed lead into the login walk and
# take every state as it is.
# - login (and the reset and social-login sections, which lead into it): a likely second
#   account is step 4 found early (steps 1 to 3 still follow); no account under the address
#   gives the "couldn't find an account" causes first, then the login steps follow.
# - the "couldn't find an account" error: no account under the proven address goes back to
#   the cause being tried; an account there means logging in with exactly that address, or
#   with its own sign-in option, or looking at the likely second account (cause 3) - each
#   something to try, after which a "no" goes on with cause 3 (a typo at sign-up, cause 2,
#   can't be it: an account uses that address), then a person.
# - missing courses: a second account, or no account under the proven address, both mean the
#   courses are elsewhere; otherwise the account's courses are listed as the step to try.
# - second account: none found is said, and a person offered (the lookup was the last step);
#   an SSO account gets the SSO article, no account the "couldn't find an account" causes.
# - the other sections go back to their own walk ("section").
# In the login walk: a likely second account brings step 4 forward; no account under the
# address gives the "couldn't find an account" causes; then the login steps not given yet
# (action_rest_of_walk).
LOGIN_WALK_STATES = {"duplicates": "duplicates_login", "no_account": "rest_of_not_found"}
SECTION_STATES: dict[str, tuple[dict[str, str], str | None]] = {
    "login": (LOGIN_WALK_STATES, None),
    "reset_password": (LOGIN_WALK_STATES, None),
    "social_login": (LOGIN_WALK_STATES, None),
    "account_not_found": (
        {
            "no_account": "no_account_here",
            "password": "account_found",
            "social_only": "fact_to_try",
            "duplicates": "duplicates_to_try",
        },
        None,
    ),
    "missing_courses": (
        {"duplicates": "duplicates_courses", "no_account": "no_courses"},
        "courses",
    ),
    "second_account": (
        {"duplicates": "duplicates", "no_account": "no_account", "sso": "sso"},
        "no_second_account_found",
    ),
    "sso": ({"sso": "sso"}, "section"),
    "recaptcha": ({}, "section"),
    "email_verification": ({}, "section"),
    "email_change": ({}, "section"),
    "account_settings": ({}, "section"),
}
# The sections where a proven password account is given login step 1 before anything
# else (the login walk, the connected-account step that leads into it, or an address typed
# with no section), unless it was given.
STEP_1_FIRST = frozenset({"login", "social_login", "None"})
# A password account's state with login step 1 given first: nothing given before it, or
# step 3 (the connected-account section's own step).
STEP_1_BEFORE = {
    "password": "password_step_1",
    "password_social_tried": "password_step_1_social_tried",
}
# A second account looked up in the middle of a walk: a likely one is its step, and when
# it doesn't help, the walk left goes on with its steps not given yet (action_rest_of_walk).
# No account at the address looked up gives the "couldn't find an account" causes not given
# yet first (WALK_GOES_ON), then the walk left goes on too.
AFTER_THE_LOOKUP = {"duplicates": "duplicates_walk_left"}
# The states that continue a section's own steps: no account fact decides them.
OWN_STEPS = frozenset(otherwise for _, otherwise in SECTION_STATES.values() if otherwise)


def section_of_the_code(tracker: Tracker) -> str:
    """The section the learner was in when they asked for the code: a side trip to another
    section while it was on its way doesn't change what the proof was for."""
    topic, asked_in = None, None
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "topic":
            topic = event.get("value")
        elif event.get("event") == "action" and event.get("name") == "action_send_code":
            asked_in = topic
    return str(asked_in if asked_in is not None else tracker.get_slot("topic"))


STEPS = {
    "step 2": STEP_2,
    "step 3": STEP_3,
    "cause 2": CAUSE_2,
    "second account": SECOND_ACCOUNT,
    "cache": COURSES_CACHE,
}
# The states whose stories give a step after the proof that the learner may have been given
# before proving the address, and the state to go on from instead, by the steps given
# before, so none is given again.
GIVEN_BEFORE: dict[str, dict[frozenset[str], str]] = {
    "password": {
        frozenset({"step 2"}): "password_reset_tried",
        frozenset({"step 3"}): "password_social_tried",
        frozenset({"step 2", "step 3"}): "password_reset_tried",
    },
    "account_found": {frozenset({"second account"}): "account_found_last"},
    "fact_to_try": {frozenset({"second account"}): "fact_to_try_last"},
    # A likely second account after cache and cookies: its step is the last one left.
    "duplicates_courses": {frozenset({"cache"}): "duplicates_courses_last"},
    # No course to show (none in the account, or no account): the second-account step,
    # unless it was given; then cache and cookies, unless that was given too.
    "no_courses": {
        frozenset(): "duplicates_courses",
        frozenset({"cache"}): "duplicates_courses_last",
        frozenset({"second account"}): "no_courses_second_tried",
        frozenset({"second account", "cache"}): "no_courses_last",
    },
}


def in_section(account_state: str, tracker: Tracker) -> str:
    """The state the stories continue from, where the section decides what follows it. An
    address changed by someone else decides in every section (the email-change section)."""
    if account_state == "takeover":
        return account_state
    section = section_of_the_code(tracker)
    if section == "second_account" and account_state in AFTER_THE_LOOKUP and walks_left(tracker):
        return AFTER_THE_LOOKUP[account_state]
    kept, otherwise = SECTION_STATES.get(section, ({}, None))
    continued = not_given_again(
        kept.get(account_state, account_state if otherwise is None else otherwise), tracker
    )
    if account_state == "password" and section in STEP_1_FIRST and not STEP_1 & said(tracker):
        # The proof checked the address typed here, not the one typed on the login page:
        # login step 1 (log in with exactly this address) comes first, whatever other
        # login step was given before it; then the state's own steps.
        return STEP_1_BEFORE.get(continued, continued)
    return continued


# The states whose stories give a whole walk from its first step: when any of its steps
# was given before the proof, only the rest of it (action_rest_of_walk, actions/walks.py).
WALK_GOES_ON = {"no_account": "rest_of_not_found"}


def not_given_again(continued: str, tracker: Tracker) -> str:
    """The state to go on from so that no step the learner was given comes again."""
    rest = WALK_GOES_ON.get(continued)
    if rest and any(step.forms & said(tracker) for step in WALKS[PROVEN_WALKS[rest]]):
        return rest
    instead = GIVEN_BEFORE.get(continued, {})
    bearing = frozenset().union(*instead)  # the steps that matter in this state
    given_here = said(tracker)
    given = frozenset(step for step in bearing if STEPS[step] & given_here)
    return instead.get(given, continued)


def account_fact(state: AccountState) -> tuple[str, str, dict[str, Any]]:
    """The one fact that decides the next step: its state name, response and values."""
    change = state.recent_email_change
    if change and not change.by_owner:
        return (
            "takeover",
            "utter_fact_email_changed",
            {
                "email": state.email,
                "days_ago": change.days_ago,
                "new_email": change.new_email_masked,
            },
        )
    if not state.exists:
        return "no_account", "utter_fact_no_account", {"email": state.email}
    if state.sso_organization or "sso" in state.sign_in_methods:
        organization = state.sso_organization or "your organization"
        return "sso", "utter_fact_sso", {"organization": organization}
    if state.likely_duplicates:
        return "duplicates", "utter_fact_duplicates", {"duplicates": duplicates_of(state)}
    if "password" not in state.sign_in_methods:
        providers = [method.capitalize() for method in state.sign_in_methods]
        return "social_only", "utter_fact_social_only", {"providers": " or ".join(providers)}
    return "password", "utter_fact_password_account", {}


def describe_state(dispatcher: CollectingDispatcher, state: AccountState, tracker: Tracker) -> str:
    """Tells the learner the fact that decides the next step in their section (none where
    the section goes on with its own steps); returns the state the stories continue from."""
    name, response, values = account_fact(state)
    continued = in_section(name, tracker)
    if continued == "courses" and not state.enrolments:
        # No course in either tab: the course is in another account (the article's next
        # step in missing courses).
        dispatcher.utter_message(response="utter_fact_no_courses")
        return not_given_again("no_courses", tracker)
    if continued not in OWN_STEPS:
        dispatcher.utter_message(response=response, **values)
    return continued


# The sign-ins of the article's cause of a second account.
SOCIAL_SIGN_INS = frozenset({"facebook", "google", "apple"})


def duplicates_of(state: AccountState) -> str:
    """The likely second accounts as far as the learner needs them to find one: its masked
    address and, when it is the article's cause, the Facebook, Google or Apple sign-in it
    was made with. Nothing else of an account the learner hasn't proven, such as its
    courses."""
    return "; ".join(
        f"{duplicate.email_masked}, made with {duplicate.created_with.capitalize()} sign-in"
        if duplicate.created_with in SOCIAL_SIGN_INS
        else duplicate.email_masked
        for duplicate in state.likely_duplicates
    )
