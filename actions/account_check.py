"""Addresses and one-time codes: looking at the learner's account without leaking it.

Nothing here says whether an address has an account until the learner has typed the
code we emailed to it. Before that, every reply is the same for any address; only
domain facts (an organisation that requires single sign-on) may be told. Proof of
control is a token the account service issues and checks; the slots only carry it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from actions import flow
from actions.account_client import (
    AccountServiceUnavailable,
    AccountState,
    Enrolment,
    InvalidEmail,
    get_client,
)
from actions.flow import Turn, TurnAction
from actions.typos import split_address, suggested_correction

CODE_SHAPE = re.compile(r"\b(\d{3})\s?(\d{3})\b")


async def receive_address(turn: Turn, typed: str) -> None:
    """Checks a typed address for shape, typos and SSO, then offers a one-time code."""
    address = flow.clean_address(typed)
    if not flow.is_email(address):
        turn.say("invalid_email", typed=address)
        turn.set("pending", flow.PENDING_ADDRESS)
        return
    turn.set("email", address)
    correction = suggested_correction(address)
    if correction:
        turn.say(
            "possible_typo",
            domain=split_address(address)[1],
            suggestion=split_address(correction)[1],
            corrected=correction,
        )
    if await _sso_domain(turn, address):
        return
    topic, _ = flow.current_topic(turn)
    if topic is not None and topic.on_address is not None:
        await topic.on_address(turn, address)
    elif topic is not None and not topic.checks_accounts:
        flow.ask_outcome_here(turn)
    elif turn.service_down_said:
        await continue_without_check(turn)
    else:
        turn.say("offer_code", email=address)
        turn.set("pending", flow.PENDING_OFFER_CODE)


async def _sso_domain(turn: Turn, address: str) -> bool:
    """Tells the learner when the address's domain signs in through an organisation."""
    domain = split_address(address)[1]
    try:
        organization = await get_client().sso_organization(domain)
    except AccountServiceUnavailable:
        turn.say_service_down()
        return False
    if not organization:
        return False
    turn.say("domain_requires_sso", domain=domain, organization=organization)
    if "step" not in turn.changed and turn.slot("step") == "sso_path":
        flow.ask_outcome_here(turn)  # the SSO path was given earlier in the conversation
    else:
        await flow.give_step(turn, "sso")
    return True


async def continue_without_check(turn: Turn) -> None:
    """Carries on with the general steps of the current topic."""
    topic, _ = flow.current_topic(turn)
    if topic is None:
        flow.enter(turn, "login")
    await flow.advance(turn)


async def send_code(turn: Turn) -> None:
    """Emails a one-time code to the address the learner gave (same reply for any address)."""
    address = turn.known_email()
    if not address:
        turn.say("ask_email")
        turn.set("pending", flow.PENDING_ADDRESS)
        return
    try:
        result = await get_client().request_code(address, turn.conversation_id)
    except AccountServiceUnavailable:
        turn.say_service_down()
        await continue_without_check(turn)
        return
    if result.status == "sent":
        turn.set("code_email", address)
        turn.say("code_sent", email=address)
        turn.set("pending", flow.PENDING_CODE)
    elif result.status == "too_many_codes":
        turn.say("code_limit")
        turn.set("pending", flow.PENDING_OFFER_CODE)
    else:
        turn.say("invalid_email", typed=address)
        turn.set("pending", flow.PENDING_ADDRESS)


async def receive_code(turn: Turn, code: str) -> None:
    """Checks a typed code with the account service and, once proven, uses the account state."""
    address = turn.slot("code_email")
    if not address:
        if turn.known_email():
            turn.say("offer_code", email=turn.known_email())
            turn.set("pending", flow.PENDING_OFFER_CODE)
        else:
            turn.say("ask_email")
            turn.set("pending", flow.PENDING_ADDRESS)
        return
    try:
        result = await get_client().verify_code(address, code, turn.conversation_id)
    except AccountServiceUnavailable:
        turn.say_service_down()
        await continue_without_check(turn)
        return
    if result.status == "verified" and result.token:
        turn.set("verification_token", result.token)
        turn.set("verified_email", address)
        turn.set("code_email", None)
        turn.say("code_verified", email=address)
        await use_account_state(turn)
        return
    if result.status == "wrong_code" and result.attempts_left:
        turn.say("code_wrong", attempts_left=result.attempts_left)
        turn.set("pending", flow.PENDING_CODE)
        return
    reply = {"expired": "code_expired", "no_code": "code_none"}.get(result.status, "code_locked")
    turn.say(reply, email=address)
    turn.say("code_way_forward")
    turn.set("pending", flow.PENDING_OFFER_CODE)


async def proven_state(turn: Turn) -> AccountState | None:
    """The account state behind the learner's proof of control, if they have a valid one."""
    token = turn.slot("verification_token")
    if not token:
        return None
    try:
        state = await get_client().account_state(token)
    except AccountServiceUnavailable:
        turn.say_service_down()
        return None
    if state is None:
        turn.set("verification_token", None)
    return state


async def use_account_state(turn: Turn) -> bool:
    """Skips to the step that fits the proven account; False if there is no proof to use."""
    state = await proven_state(turn)
    if state is None:
        return False
    change = state.recent_email_change
    if change and not change.by_owner:
        turn.say(
            "fact_email_changed",
            email=state.email,
            days_ago=change.days_ago,
            new_email=change.new_email_masked,
        )
        turn.set("pending", flow.PENDING_CONFIRM_CHANGE)
    elif not state.exists:
        turn.say("fact_no_account", email=state.email)
        await flow.give_step(turn, "account_not_found", "not_found_typo")
    elif state.sso_organization or "sso" in state.sign_in_methods:
        turn.say("fact_sso", organization=state.sso_organization or "your organisation")
        await flow.give_step(turn, "sso")
    elif not state.email_verified:
        turn.say("fact_unverified")
        await flow.give_step(turn, "email_verification", "verification_resend")
    elif state.likely_duplicates:
        turn.say("fact_duplicates", duplicates=describe_duplicates(state))
        await flow.give_step(turn, "second_account")
    elif "password" not in state.sign_in_methods:
        providers = [method.capitalize() for method in state.sign_in_methods]
        turn.say("fact_social_only", providers=" or ".join(providers), provider=providers[0])
        flow.enter(turn, "social_login")
        flow.ask_outcome(turn, is_last=True)
    elif turn.slot("topic") == "missing_courses":
        describe_courses(turn, state.enrolments)
        flow.enter(turn, "missing_courses", "courses_second_account")
        flow.ask_outcome(turn, is_last=False)
    else:
        turn.say("fact_password_account")
        await flow.give_step(turn, "login", "login_reset_password")
    return True


def describe_duplicates(state: AccountState) -> str:
    parts = []
    for duplicate in state.likely_duplicates:
        courses = ", ".join(f'"{item.course}"' for item in duplicate.enrolments)
        holding = f", which holds {courses}" if courses else ""
        parts.append(
            f"{duplicate.email_masked} (made with {duplicate.created_with.capitalize()} sign-in)"
            f"{holding}"
        )
    return "; ".join(parts)


def describe_courses(turn: Turn, enrolments: list[Enrolment]) -> None:
    if not enrolments:
        turn.say("fact_no_courses")
        return

    def titles(status: str) -> str:
        names = [f'"{item.course}"' for item in enrolments if item.status == status]
        return ", ".join(names) or "none"

    turn.say("fact_courses", in_progress=titles("in_progress"), completed=titles("completed"))


async def send_verification_email(turn: Turn, address: str) -> None:
    await _send_mail(turn, get_client().send_verification_email, address, "verification_resent")


async def send_password_reset(turn: Turn, address: str) -> None:
    # Once the address is proven there is nothing left to hide about it.
    proven = address == turn.slot("verified_email")
    reply = "reset_sent_proven" if proven else "reset_sent"
    await _send_mail(turn, get_client().send_password_reset, address, reply)


async def _send_mail(
    turn: Turn, send: Callable[[str, str], Awaitable[None]], address: str, reply: str
) -> None:
    """Asks the account service to email `address`; the reply is the same for any address."""
    try:
        await send(address, turn.conversation_id)
    except InvalidEmail:
        turn.say("invalid_email", typed=address)
        return
    except AccountServiceUnavailable:
        turn.say_service_down()
        return
    turn.say(reply, email=address)


def code_in(text: str) -> str | None:
    match = CODE_SHAPE.search(text or "")
    return match.group(1) + match.group(2) if match else None


class ActionReceiveInform(TurnAction):
    """The learner gave an address or a code (or pressed "use another address")."""

    def name(self) -> str:
        return "action_receive_inform"

    async def handle(self, turn: Turn) -> None:
        text = turn.tracker.latest_message.get("text") or ""
        address = turn.latest_entity("email")
        code = turn.latest_entity("code") or code_in(text)
        if address:
            await receive_address(turn, address)
        elif code:
            await receive_code(turn, re.sub(r"\D", "", code))
        elif typed := next((w for w in text.split() if "@" in w), None):
            turn.say("invalid_email", typed=flow.clean_address(typed)[:80])
            turn.set("pending", flow.PENDING_ADDRESS)
        else:
            turn.say("new_address")
            turn.set("pending", flow.PENDING_ADDRESS)
