"""Single sign-on through an employer or university."""

from __future__ import annotations

from actions.sso import ActionSsoLogin
from tests.actions.conftest import Chat, joined


async def test_sso_path_then_domain_check(chat: Chat) -> None:
    first = joined(await chat.send(ActionSsoLogin(), "sso_login", "login through my university"))
    assert "single sign-on" in first and "work or school address" in first
    reply = joined(await chat.inform("david.kim@stateuniversity.edu"))
    assert "State University" in reply
    assert "Did this solve your problem?" in reply
    assert "find it by name" not in reply  # the path is not repeated


async def test_domain_without_sso_says_so(chat: Chat) -> None:
    await chat.send(ActionSsoLogin(), "sso_login", "company sso")
    reply = joined(await chat.inform("someone@example.org"))
    assert "don't have example.org down as an organisation" in reply
    assert "6-digit code" not in reply
