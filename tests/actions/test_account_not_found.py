"""The "We couldn't find an account associated with that email address" error: three causes."""

from __future__ import annotations

from actions.account_not_found import ActionAccountNotFound
from tests.actions.conftest import Chat, joined


async def test_three_causes_in_turn_with_concrete_typo_variants(chat: Chat) -> None:
    first = joined(
        await chat.send(ActionAccountNotFound(), "account_not_found", "no account found")
    )
    assert "We couldn't find an account associated with that email address" in first
    assert "another address" in first
    await chat.inform("frank.muller@gmail.com")
    second = joined(await chat.no())  # no code: just the steps
    assert "frank.muller@gmial.com" in second and "frank.muller@gmail.co" in second
    third = joined(await chat.no())
    assert "Facebook, Google or Apple" in third and "Did this solve your problem?" in third


async def test_typo_variants_come_from_the_static_list_not_the_accounts(chat: Chat) -> None:
    """An unknown domain gets the general advice, whatever accounts exist."""
    await chat.send(ActionAccountNotFound(), "account_not_found", "no account found")
    await chat.inform("frank.muller@example.org")
    reply = joined(await chat.no())
    assert "Try likely misspellings" in reply
    assert "gmial" not in reply
