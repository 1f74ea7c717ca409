"""Cause 2 of "We couldn't find an account…": likely typos of the learner's own address."""

from __future__ import annotations

from actions.account_check import ActionCheckAddress
from actions.account_not_found import ActionSuggestSignupTypos
from tests.support.actions import ActionLearner, joined


async def test_variants_of_a_typed_address_come_from_the_fixed_list(learner: ActionLearner) -> None:
    await learner.run(ActionCheckAddress(), "frank.muller@gmail.com")
    reply = joined(await learner.run(ActionSuggestSignupTypos(), "no", "deny"))
    assert "typos or variations of frank.muller@gmail.com, such as" in reply
    assert "frank.muller@gmial.com" in reply


async def test_without_an_address_the_step_is_general(learner: ActionLearner) -> None:
    reply = joined(await learner.run(ActionSuggestSignupTypos(), "no", "deny"))
    assert "misspellings and other versions of your address" in reply
    assert learner.said() == ["utter_not_found_typo"]


async def test_a_domain_the_list_lacks_is_said_to_be_missing_from_it(
    learner: ActionLearner,
) -> None:
    await learner.run(ActionCheckAddress(), "li.wei@northwind.example")
    reply = joined(await learner.run(ActionSuggestSignupTypos(), "no", "deny"))
    assert learner.said() == ["utter_not_found_typo_unlisted"]
    assert "no list of common slips for northwind.example" in reply
