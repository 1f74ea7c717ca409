"""The article's steps that the assistant gives in more than one form (as a login step, as
its own section's first step, done for the learner), by the responses that give them: a
step given in any form counts as given. And the article's walks as those steps in order."""

from __future__ import annotations

from dataclasses import dataclass

# Login step 1: the address typed exactly as the account's.
STEP_1 = frozenset({"utter_login_check_address", "utter_not_found_use_proven_address"})
# Login step 2: the password reset.
STEP_2 = frozenset(
    {
        "utter_login_reset_password",
        "utter_reset_password",
        "utter_reset_by_article",
        "utter_reset_sent",
        "utter_reset_sent_proven",
    }
)
# Login step 3: a connected Facebook, Google or Apple account.
# The account's own option (a proven Facebook-, Google- or Apple-only account) is this step.
STEP_3 = frozenset({"utter_login_social", "utter_social_login", "utter_fact_social_only"})
# Login step 4, missing courses' second step, cause 3 of "couldn't find an account".
SECOND_ACCOUNT = frozenset(
    {
        "utter_login_second_account",
        "utter_courses_second_account",
        "utter_second_account_check",
        "utter_not_found_social",
    }
)
# Cause 2 of the "couldn't find an account" error (a typo at sign-up).
CAUSE_2 = frozenset(
    {"utter_not_found_typo", "utter_not_found_typo_variants", "utter_not_found_typo_unlisted"}
)
# Missing courses' last step: the browser's cache and cookies.
COURSES_CACHE = frozenset({"utter_courses_clear_cache"})


@dataclass(frozen=True)
class Step:
    forms: frozenset[str]  # the responses that give this step
    responses: tuple[str, ...]  # the ones the walk gives it with


WALKS: dict[str, tuple[Step, ...]] = {
    "login": (
        Step(STEP_1, ("utter_login_check_address",)),
        Step(STEP_2, ("utter_login_reset_password",)),
        Step(STEP_3, ("utter_login_social",)),
        Step(SECOND_ACCOUNT, ("utter_login_second_account",)),
    ),
    "account_not_found": (
        Step(frozenset({"utter_not_found_other_address"}), ("utter_not_found_other_address",)),
        Step(CAUSE_2, ("utter_not_found_typo",)),
        Step(SECOND_ACCOUNT, ("utter_not_found_social", "utter_second_account_check")),
    ),
    "missing_courses": (
        Step(frozenset({"utter_courses_tabs"}), ("utter_courses_tabs",)),
        Step(SECOND_ACCOUNT, ("utter_courses_second_account",)),
        Step(COURSES_CACHE, ("utter_courses_clear_cache",)),
    ),
}
# Which walk a step's first response belongs to.
WALK_OF_RESPONSE = {step.responses[0]: walk for walk, steps in WALKS.items() for step in steps}
