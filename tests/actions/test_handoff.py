"""A person at any point: a ticket with the conversation, addresses and codes masked."""

from __future__ import annotations

import re

from tests.actions.conftest import Chat, joined


async def test_ticket_in_the_middle_of_a_flow(chat: Chat) -> None:
    await chat.cant_log_in()
    await chat.inform("ana.silva@example.com")
    await chat.yes()
    assert chat.service is not None
    await chat.inform(await chat.service.latest_code("ana.silva@example.com"))
    reply = joined(await chat.ask_for_human())
    ticket_id = re.search(r"CS-\d+", reply)
    assert ticket_id, reply
    _, ticket = await chat.service.call("GET", f"/tickets/{ticket_id.group(0)}")
    transcript = " ".join(line["text"] for line in ticket["transcript"])
    assert "a***@example.com" in transcript
    assert "ana.silva@example.com" not in transcript
    assert not re.search(r"\b\d{6}\b", transcript)
    assert ticket["topic"] == "login"


async def test_service_down_gives_the_contact_route(faulty_chat) -> None:
    chat = await faulty_chat("http500")
    assert "Contact Us" in joined(await chat.ask_for_human())


async def test_ticket_after_a_malformed_address_still_opens(chat: Chat) -> None:
    await chat.inform("my email is accounts;--@example")
    assert "doesn't look like a complete email address" in joined(chat_texts(chat))
    assert "ticket number is CS-" in joined(await chat.ask_for_human())


def chat_texts(chat: Chat) -> list[str]:
    return [message.get("text") or "" for message in chat.last_messages]
