"""Image selection after logging in (reCAPTCHA)."""

from __future__ import annotations

from actions.recaptcha import ActionRecaptchaProblem
from tests.actions.conftest import Chat, joined


async def test_explains_the_check_and_the_three_fixes(chat: Chat) -> None:
    reply = joined(await chat.send(ActionRecaptchaProblem(), "recaptcha_problem", "captcha loops"))
    for fact in (
        "reCAPTCHA",
        "security check",
        "extensions",
        "different browser",
        "cache and cookies",
    ):
        assert fact in reply
    assert "Did this solve your problem?" in reply
    await chat.yes()
    assert chat.slots["problem_solved"] is True
