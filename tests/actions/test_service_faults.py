"""The account service down, slow, failing or talking nonsense: a short apology, then the
article's general steps; never an exception, never internal detail."""

from __future__ import annotations

import pytest

from tests.actions.conftest import joined
from tests.service_fixtures import FAULT_MODES

INTERNALS = ("Traceback", "Error", "Exception", "aiohttp", "127.0.0.1", "500", "JSON")


@pytest.mark.parametrize("mode", FAULT_MODES)
async def test_address_check_falls_back_to_the_general_steps(faulty_chat, mode: str) -> None:
    chat = await faulty_chat(mode)
    await chat.cant_log_in()
    reply = joined(await chat.inform("my email is ana.silva@example.com"))
    assert "can't reach our account system" in reply
    assert "Forgot password?" in reply  # carried on with the next step
    assert not any(word in reply for word in INTERNALS)


@pytest.mark.parametrize("mode", FAULT_MODES)
async def test_code_steps_fall_back_too(faulty_chat, mode: str) -> None:
    chat = await faulty_chat(mode)
    await chat.cant_log_in()
    chat.slots.update(pending="offer_code", email="ben.okafor@gmail.com")
    reply = joined(await chat.yes())
    assert "can't reach our account system" in reply and "Did that work?" in reply
    chat.slots.update(code_email="ben.okafor@gmail.com", pending="code")
    reply = joined(await chat.inform("123456"))
    assert "can't reach our account system" in reply
    assert not any(word in reply for word in INTERNALS)
