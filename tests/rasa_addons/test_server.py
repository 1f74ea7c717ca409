"""The Rasa launcher's speed-ups keep Rasa's behaviour: same checks, same requests."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bench.patches import REPLACEMENTS
from rasa_addons.server import ACTION_RETRY_WAITS, kept_session, retrying, validate_action_result
from stack.processes import ROOT, free_port


@pytest.fixture
async def echo_server() -> AsyncIterator[tuple[str, list[tuple[str, int]]]]:
    """A local HTTP server that records which client connection each request came on."""
    seen: list[tuple[str, int]] = []

    async def webhook(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen.append((request.headers.get("X-Stack", ""), peer[1] if peer else 0))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/webhook", seen
    finally:
        await runner.cleanup()


async def test_action_calls_reuse_one_connection(
    echo_server: tuple[str, list[tuple[str, int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = echo_server
    monkeypatch.setattr(EndpointConfig, "session", kept_session)
    endpoint = EndpointConfig(url=url, headers={"X-Stack": "accounts"})

    for _ in range(3):
        assert await endpoint.request(json={"next_action": "action_cant_log_in"}) == {
            "events": [],
            "responses": [],
        }

    assert [header for header, _ in seen] == ["accounts"] * 3
    assert len({client_port for _, client_port in seen}) == 1
    async with endpoint.session() as session:
        assert not session.closed
        await session.close()
    async with endpoint.session() as fresh:
        assert fresh is not session and not fresh.closed
        await fresh.close()


@pytest.mark.parametrize(
    ("result", "valid"),
    [
        ({"events": [{"event": "slot", "name": "email", "value": "a@b.co"}], "responses": []}, 1),
        ({"events": [{"event": "slot", "name": "email"}], "responses": []}, 0),  # no value
        ({"events": [{"name": "email"}], "responses": []}, 0),
        ({"events": [{"event": "no_such_event"}], "responses": []}, 0),
        ({"events": "not a list"}, 0),
    ],
)
def test_action_responses_are_checked_as_rasa_checks_them(result: dict, valid: int) -> None:
    rasa_says = True
    try:
        RemoteAction._validate_action_result(RemoteAction, result)  # type: ignore[arg-type]
    except ValidationError:
        rasa_says = False
    ours = True
    try:
        validate_action_result(RemoteAction, result)  # type: ignore[arg-type]
    except ValidationError:
        ours = False
    assert ours is rasa_says is bool(valid)


async def _serve(handler: Any, port: int) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_an_action_server_that_is_restarting_is_called_again() -> None:
    port = free_port()
    calls: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        calls.append(1)
        return web.json_response({"events": [], "responses": []})

    async def come_up_later() -> web.AppRunner:
        await asyncio.sleep(0.6)  # refused until then
        return await _serve(webhook, port)

    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    starting = asyncio.create_task(come_up_later())
    answer = await retrying(EndpointConfig.request)(endpoint, json={}, method="post")
    await (await starting).cleanup()
    assert answer == {"events": [], "responses": []}
    assert calls == [1]


async def test_a_connection_broken_before_the_answer_is_tried_again() -> None:
    port = free_port()
    calls: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) == 1 and request.transport is not None:
            request.transport.close()  # the server died mid-call
        return web.json_response({"events": [], "responses": []})

    runner = await _serve(webhook, port)
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        answer = await retrying(EndpointConfig.request)(endpoint, json={}, method="post")
    finally:
        await runner.cleanup()
    assert answer == {"events": [], "responses": []}
    assert len(calls) == 2


async def test_an_action_server_that_stays_away_fails_the_call_after_the_retries() -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    started = time.monotonic()
    with pytest.raises(aiohttp.ClientConnectionError):
        await retrying(EndpointConfig.request)(endpoint, json={}, method="post")
    assert time.monotonic() - started >= sum(ACTION_RETRY_WAITS)


async def test_a_slow_action_server_is_not_called_again() -> None:
    port = free_port()
    calls: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        calls.append(1)
        await asyncio.sleep(2)
        return web.json_response({})

    runner = await _serve(webhook, port)
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        with pytest.raises(asyncio.TimeoutError):
            await retrying(EndpointConfig.request)(
                endpoint, json={}, method="post", timeout=aiohttp.ClientTimeout(total=0.3)
            )
    finally:
        await runner.cleanup()
    assert calls == [1]


def in_place(owner: type, name: str, function: Any) -> bool:
    """Whether `owner.name` is `function` (a static method's function, for one)."""
    return getattr(owner, name) is getattr(function, "__func__", function)


def test_the_server_installs_every_replacement() -> None:
    """`python -m rasa_addons.server` runs Rasa with every replacement of bench/patches.py's
    table in place (history and graph runner); this process keeps Rasa's own."""
    script = (
        "import sys\n"
        "from bench.patches import REPLACEMENTS\n"
        "from rasa_addons import server\n"
        "sys.argv = ['rasa', '--version']\n"
        "try:\n    server.main()\nexcept SystemExit:\n    pass\n"
        "from tests.rasa_addons.test_server import in_place\n"
        "print(all(in_place(owner, name, ours) for owner, name, _, ours in REPLACEMENTS))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "True"
    assert all(in_place(owner, name, rasas) for owner, name, rasas, _ in REPLACEMENTS)
