"""Section "I can't log in": the four steps in order, stopping when one works."""

from __future__ import annotations

from tests.actions.conftest import Chat, joined


async def test_walks_the_four_steps_in_order_then_offers_a_person(chat: Chat) -> None:
    first = joined(await chat.cant_log_in())
    assert "letter by letter" in first and "Did that work?" in first
    assert "Forgot password?" in joined(await chat.no())
    assert "Continue with" in joined(await chat.no())
    last = joined(await chat.no())
    assert "two accounts" in last and "Did this solve your problem?" in last
    assert "open a ticket" in joined(await chat.no())
    assert chat.slots["problem_solved"] is False
    reply = joined(await chat.yes())
    assert "ticket number is CS-" in reply
    assert chat.slots["ticket_id"].startswith("CS-")


async def test_stops_as_soon_as_a_step_works(chat: Chat) -> None:
    await chat.cant_log_in()
    await chat.no()
    assert "glad" in joined(await chat.yes())
    assert chat.slots["problem_solved"] is True
    assert chat.slots["pending"] is None


async def test_address_in_first_message_is_checked_for_typos(chat: Chat) -> None:
    reply = joined(await chat.cant_log_in("cant log in with frank.muller@gmial.com"))
    assert "frank.muller@gmail.com" in reply  # suggested correction from the static list
    assert "6-digit code" in reply


async def test_declining_the_code_continues_with_a_reset_email(chat: Chat) -> None:
    await chat.cant_log_in("i cant get in, my address is ana.silva@example.com")
    reply = joined(await chat.no())
    assert "Forgot password?" in reply
    assert "If an account uses that address" in reply
    assert chat.service is not None
    subjects = [mail["subject"] for mail in await chat.service.outbox("ana.silva@example.com")]
    assert subjects == ["Reset your password"]


async def test_reset_reply_is_the_same_for_an_unknown_address(chat: Chat) -> None:
    await chat.cant_log_in("i cant get in, my address is nobody.here@example.com")
    reply = joined(await chat.no())
    assert "If an account uses that address" in reply
