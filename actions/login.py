"""Section "I can't log in": check the address, reset the password, social sign-in, second account.

Also the two single-step topics learners ask about directly: resetting a password
and signing in with a connected Facebook, Google or Apple account.
"""

from __future__ import annotations

from actions import account_check, flow
from actions.flow import Step, Topic, Turn
from actions.topic import TopicAction


async def reset_password(turn: Turn) -> None:
    turn.say("login_reset_password")
    address = turn.known_email()
    if address:
        await account_check.send_password_reset(turn, address)


async def reset_for(turn: Turn, address: str) -> None:
    """A typed address gets the reset email at once: the reply is the same for any address."""
    await account_check.send_password_reset(turn, address)
    flow.ask_outcome_here(turn)


RESET_PASSWORD = Step("login_reset_password", reset_password)
SOCIAL_SIGN_IN = flow.reply_step("login_social")

flow.register(
    Topic(
        name="login",
        intro="login_intro",
        steps=(
            flow.reply_step("login_check_address"),
            RESET_PASSWORD,
            SOCIAL_SIGN_IN,
            flow.reply_step("login_second_account"),
        ),
    )
)
flow.register(Topic(name="reset_password", steps=(RESET_PASSWORD,), on_address=reset_for))
flow.register(Topic(name="social_login", steps=(SOCIAL_SIGN_IN,)))


class ActionCantLogIn(TopicAction):
    action_name = "action_cant_log_in"
    topic = "login"


class ActionResetPassword(TopicAction):
    action_name = "action_reset_password"
    topic = "reset_password"


class ActionSocialLogin(TopicAction):
    action_name = "action_social_login"
    topic = "social_login"
