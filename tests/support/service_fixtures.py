"""Pytest plugin: the real account service on a free port, a client for it, and faulty servers.

Tests talk real HTTP to the real app so the client and the API are checked
together; only the clock is fake, to test expiry without waiting.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from json import loads
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from account_service.app import SafeAccessLogger, create_app
from account_service.desk import DeskSettings
from actions.account_client import AccountClient
from stack.learner import newest_code
from tests.support.faults import faulty_account_service

SEED_PATH = Path(__file__).resolve().parents[2] / "account_service" / "seed.json"
TEST_API_KEY = "test-key"


class FakeClock:
    """Callable clock the app reads instead of time.time; tests move it forward."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningService:
    """Handle on a started service: where it is, its key, its clock, raw HTTP helpers."""

    url: str
    api_key: str
    clock: FakeClock
    db_path: Path
    session: aiohttp.ClientSession = field(repr=False)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        auth: bool = True,
    ) -> tuple[int, Any]:
        """Raw request; returns status and parsed JSON body (None if the body is empty)."""
        all_headers = {"X-API-Key": self.api_key} if auth else {}
        all_headers.update(headers or {})
        async with self.session.request(
            method, self.url + path, json=json, data=data, headers=all_headers, params=params
        ) as response:
            text = await response.text()
            return response.status, (loads(text) if text else None)

    async def outbox(self, address: str) -> list[dict[str, Any]]:
        status, body = await self.call("GET", "/outbox", params={"to": address})
        assert status == 200, body
        assert isinstance(body, list)
        return body

    async def latest_code(self, address: str) -> str:
        """The newest one-time code mailed to ``address``, read the way a tester would."""
        code = newest_code(await self.outbox(address))
        assert code, f"no code mail for {address}"
        return code

    async def verified_token(self, address: str, conversation_id: str = "conv-test") -> str:
        """Run the whole code flow for ``address`` and return the verification token."""
        status, body = await self.call(
            "POST", "/codes", json={"email": address, "conversation_id": conversation_id}
        )
        assert status == 202, body
        code = await self.latest_code(address)
        status, body = await self.call(
            "POST",
            "/codes/verify",
            json={"email": address, "code": code, "conversation_id": conversation_id},
        )
        assert status == 200 and body["status"] == "verified", body
        return str(body["token"])


async def _start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log_class=SafeAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.5)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@asynccontextmanager
async def run_service(
    db_path: Path,
    clock: FakeClock | None = None,
    seed_path: Path | None = SEED_PATH,
    api_key: str = TEST_API_KEY,
    demo_mode: bool = True,
    desk_settings: DeskSettings | None = None,
) -> AsyncIterator[RunningService]:
    """Start the real app on a free localhost port for the duration of the block; in demo
    mode (as `make run`), so that tests read the mail it sent from its `/outbox`."""
    clock = clock or FakeClock()
    app = create_app(
        db_path,
        seed_path=seed_path,
        api_key=api_key,
        clock=clock,
        demo_mode=demo_mode,
        desk_settings=desk_settings,
    )
    runner, url = await _start(app)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    try:
        yield RunningService(
            url=url, api_key=api_key, clock=clock, db_path=db_path, session=session
        )
    finally:
        await session.close()
        await runner.cleanup()


@pytest.fixture
async def account_service(tmp_path: Path) -> AsyncIterator[RunningService]:
    """The seeded service with its own SQLite file under tmp_path."""
    async with run_service(tmp_path / "accounts.db") as service:
        yield service


@pytest.fixture
async def account_client(account_service: RunningService) -> AsyncIterator[AccountClient]:
    """A client pointed at ``account_service`` with the test API key."""
    client = AccountClient(account_service.url, account_service.api_key, timeout=5.0)
    try:
        yield client
    finally:
        await client.close()


FaultServerFactory = Callable[[str], str]


@pytest.fixture
def fault_server() -> Iterator[FaultServerFactory]:
    """Factory: ``fault_server(mode)`` returns a base URL that misbehaves as asked.

    Modes (`FAULT_MODES`): "down" (nothing listens), "slow" (answers after the client gave
    up), "http500", "malformed_json" (cut-off JSON), "unexpected_json" (valid JSON, wrong shape).
    """
    with ExitStack() as servers:

        def start(mode: str) -> str:
            server = servers.enter_context(faulty_account_service())
            server.set_mode(mode)
            return server.url

        yield start
