"""Addresses and one-time codes against the real account service: what each persona is
told once proven, and that nothing about an account shows before that."""

from __future__ import annotations

import pytest

from actions.account_check import ActionCheckAddress, ActionSendCode, ActionVerifyCode
from tests.support.actions import ActionLearner, joined

# (address typed, account_state it leads to, what the learner must be told). Typed with no
# section, a password account is given login step 1 first (log in with exactly that address).
PERSONAS = [
    ("ana.silva@example.com", "password_step_1", ["logs in with its email address and a password"]),
    (
        "ben.okafor@gmail.com",
        "social_only",
        ["set up to log in with Google", "try logging in with that option"],
    ),
    # Verification is no login step in the article: an unverified address decides nothing.
    (
        "chloe.martin@outlook.com",
        "password_step_1",
        ["logs in with its email address and a password"],
    ),
    ("david.kim@stateuniversity.edu", "sso", ["State University", "single sign-on"]),
    ("emma.jones@yahoo.com", "duplicates", ["e***@gmail.com", "made with Facebook sign-in"]),
    ("frank.muller@gmail.com", "no_account", ["No account is registered under"]),
    ("grace.lee@example.com", "takeover", ["changed 2 days ago", "g***@protonmail.com"]),
]


@pytest.mark.parametrize(("address", "state", "expected"), PERSONAS, ids=[p[0] for p in PERSONAS])
async def test_a_proven_address_names_the_step_that_fits(
    learner: ActionLearner, address: str, state: str, expected: list[str]
) -> None:
    reply = joined(await learner.prove(address))
    assert f"{address} is yours" in reply
    for fact in expected:
        assert fact in reply
    assert learner.slots["account_state"] == state
    assert learner.slots["code_status"] == "verified"
    assert learner.slots["verified_email"] == address
    assert learner.slots["verification_token"]
    assert "?" not in reply  # the question that follows is the stories' to ask


async def test_a_likely_second_account_is_named_without_its_courses(learner: ActionLearner) -> None:
    """The learner proved one address, not the other account's: only what helps to find it."""
    reply = joined(await learner.prove("emma.jones@yahoo.com"))
    assert "e***@gmail.com, made with Facebook sign-in" in reply
    assert "Financial Markets" not in reply


async def test_a_second_account_made_with_a_password_is_named_by_its_address_only(
    learner: ActionLearner,
) -> None:
    """Only a Facebook, Google or Apple sign-in is the article's cause of a second account."""
    reply = joined(await learner.prove("emma.j.jones@gmail.com"))
    assert "There may be another account of yours: e***@yahoo.com." in reply
    assert "sign-in" not in reply.split("another account of yours")[1]


# (section, address proven, the state the section goes on from, a fact told or None)
IN_SECTIONS = [
    ("missing_courses", "ben.okafor@gmail.com", "courses", None),
    ("missing_courses", "chloe.martin@outlook.com", "duplicates_courses", "has no courses"),
    ("missing_courses", "emma.jones@yahoo.com", "duplicates_courses", "e***@gmail.com"),
    ("missing_courses", "grace.lee@example.com", "takeover", "changed 2 days ago"),
    ("login", "emma.jones@yahoo.com", "duplicates_login", "e***@gmail.com"),
    ("recaptcha", "ana.silva@example.com", "section", None),
    ("recaptcha", "frank.muller@gmail.com", "section", None),
    ("recaptcha", "emma.jones@yahoo.com", "section", None),
    ("recaptcha", "grace.lee@example.com", "takeover", "changed 2 days ago"),
    ("missing_courses", "frank.muller@gmail.com", "duplicates_courses", "No account is registered"),
    ("second_account", "emma.jones@yahoo.com", "duplicates", "e***@gmail.com"),
    ("second_account", "ben.okafor@gmail.com", "no_second_account_found", None),
    ("login", "ana.silva@example.com", "password_step_1", "email address and a password"),
    ("reset_password", "ana.silva@example.com", "password", "email address and a password"),
    ("second_account", "david.kim@stateuniversity.edu", "sso", "single sign-on"),
    ("second_account", "frank.muller@gmail.com", "no_account", "No account is registered"),
    ("sso", "david.kim@stateuniversity.edu", "sso", "single sign-on"),
    ("email_verification", "frank.muller@gmail.com", "section", None),
    ("account_not_found", "frank.muller@gmail.com", "no_account_here", "No account is registered"),
    ("account_not_found", "ana.silva@example.com", "account_found", "email address and a password"),
    ("account_not_found", "ben.okafor@gmail.com", "fact_to_try", "log in with Google"),
    ("account_not_found", "emma.jones@yahoo.com", "duplicates_to_try", "e***@gmail.com"),
    ("reset_password", "ben.okafor@gmail.com", "social_only", "log in with Google"),
]


@pytest.mark.parametrize(("topic", "address", "state", "fact"), IN_SECTIONS)
async def test_a_proven_account_goes_on_with_the_section_it_was_asked_in(
    learner: ActionLearner, topic: str, address: str, state: str, fact: str | None
) -> None:
    """A fact is told only where it decides the section's next step: a login fact such as
    "it logs in with Google" is no step of missing courses or the image check."""
    learner.slots["topic"] = topic
    reply = joined(await learner.prove(address))
    assert learner.slots["account_state"] == state
    told = reply.split(f"{address} is yours. Let me look at the account.")[1].strip()
    if fact is None:
        assert told == ""
    else:
        assert fact in told


@pytest.mark.parametrize(
    ("registered", "unregistered"),
    [
        ("ana.silva@example.com", "ana.silvia@example.com"),
        ("ben.okafor@gmail.com", "ben.okafor2@gmail.com"),
        ("chloe.martin@outlook.com", "chloe.martinez@outlook.com"),
    ],
)
async def test_before_the_code_replies_and_slots_are_the_same_for_any_address(
    learner: ActionLearner, registered: str, unregistered: str
) -> None:
    assert learner.service is not None
    seen = []
    for address in (registered, unregistered):
        learner.service.clock.advance(60)  # past the pause after the previous wrong code
        check = await learner.run(ActionCheckAddress(), address)
        check_slots = (learner.slots["address_check"],)
        send = await learner.run(ActionSendCode(), "yes", intent="affirm")
        send_slots = (learner.slots["code_status"],)
        wrong = await learner.run(ActionVerifyCode(), "000000")
        seen.append(
            (
                joined(check + send + wrong).replace(address, "<address>"),
                check_slots + send_slots + (learner.slots["code_status"],),
            )
        )
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("it's ana.silva@exampl", '"ana.silva@exampl" doesn\'t look like a complete email'),
        ("accounts;--@example", "doesn't look like a complete email address"),
        ("/inform", "which other address would you like to use?"),
    ],
)
async def test_something_that_is_not_an_address_is_asked_for_again(
    learner: ActionLearner, typed: str, expected: str
) -> None:
    assert expected in joined(await learner.run(ActionCheckAddress(), typed))
    assert learner.slots["address_check"] == "invalid"


async def test_a_common_domain_slip_is_asked_about(learner: ActionLearner) -> None:
    reply = joined(await learner.run(ActionCheckAddress(), "frank.muller@gmial.com"))
    assert '"gmial.com" is a common slip for "gmail.com"' in reply
    assert reply.endswith("Did you mean frank.muller@gmail.com?")
    assert learner.slots["address_check"] == "possible_typo"


async def test_a_domain_slip_the_learner_kept_is_not_asked_about_again(
    learner: ActionLearner,
) -> None:
    learner.slots["address_confirmed"] = "frank.muller@gmial.com"
    reply = joined(await learner.run(ActionCheckAddress(), "frank.muller@gmial.com"))
    assert "common slip" not in reply
    assert learner.slots["address_check"] == "ok"


async def test_an_sso_domain_is_told_without_a_code(learner: ActionLearner) -> None:
    reply = joined(await learner.run(ActionCheckAddress(), "it's david.kim@stateuniversity.edu"))
    assert "State University" in reply and "single sign-on" in reply
    assert learner.slots["address_check"] == "sso_domain"
    assert learner.service is not None
    assert await learner.service.outbox("david.kim@stateuniversity.edu") == []


async def test_a_wrong_code_counts_down_then_blocks(learner: ActionLearner) -> None:
    await learner.run(ActionCheckAddress(), "ana.silva@example.com")
    await learner.run(ActionSendCode(), "yes", intent="affirm")
    assert "Tries left with this code: 2" in joined(await learner.run(ActionVerifyCode(), "000000"))
    assert learner.slots["code_status"] == "wrong"
    assert learner.service is not None
    learner.service.clock.advance(1)  # the pause after one wrong code
    assert "Tries left with this code: 1" in joined(await learner.run(ActionVerifyCode(), "000001"))
    learner.service.clock.advance(2)
    assert "blocked" in joined(await learner.run(ActionVerifyCode(), "000002"))
    assert learner.slots["code_status"] == "ended"
    assert learner.slots["verified_email"] is None


async def test_an_expired_code_ends_the_attempt(learner: ActionLearner) -> None:
    assert learner.service is not None
    await learner.run(ActionCheckAddress(), "ana.silva@example.com")
    await learner.run(ActionSendCode(), "yes", intent="affirm")
    code = await learner.service.latest_code("ana.silva@example.com")
    learner.service.clock.advance(11 * 60)
    assert "expired" in joined(await learner.run(ActionVerifyCode(), code))
    assert learner.slots["code_status"] == "ended"


async def test_a_code_before_any_was_sent_asks_for_the_address(learner: ActionLearner) -> None:
    assert "Tell me your address first" in joined(await learner.run(ActionVerifyCode(), "123456"))
    assert learner.slots["code_status"] == "not_sent"


async def test_the_fourth_code_in_an_hour_is_refused(learner: ActionLearner) -> None:
    await learner.run(ActionCheckAddress(), "ben.okafor@gmail.com")
    for _ in range(3):
        assert "on its way" in joined(await learner.run(ActionSendCode(), "yes", intent="affirm"))
    assert "at most 3 an hour" in joined(
        await learner.run(ActionSendCode(), "yes", intent="affirm")
    )
    assert learner.slots["code_status"] == "limit"


@pytest.mark.parametrize(
    ("topic", "state"),
    [
        ("login", "duplicates_login"),
        ("missing_courses", "duplicates_courses"),
        ("second_account", "duplicates"),
        (None, "duplicates"),
    ],
)
async def test_a_likely_second_account_is_named_for_the_section(
    learner: ActionLearner, topic: str | None, state: str
) -> None:
    """What follows a likely second account depends on the section (the stories): the login
    walk still has steps 2 and 3, missing courses its last step."""
    learner.slots["topic"] = topic
    await learner.prove("emma.jones@yahoo.com")
    assert learner.slots["account_state"] == state
