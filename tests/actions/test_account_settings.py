"""Changing name, email or password."""

from __future__ import annotations

from actions.account_settings import ActionChangeAccountSettings
from tests.actions.conftest import Chat, joined


async def test_points_to_account_settings(chat: Chat) -> None:
    reply = joined(
        await chat.send(ActionChangeAccountSettings(), "change_account_settings", "change my name")
    )
    assert "Account Settings" in reply
    for item in ("name", "email address", "password"):
        assert item in reply
    await chat.no()
    assert chat.slots["problem_solved"] is False
    assert chat.slots["pending"] == "handoff"
