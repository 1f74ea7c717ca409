"""Breaking things on purpose: an account service that misbehaves on demand, alone or in
front of the real one, and a private stack whose processes the tests stop and start."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from stack.processes import Stack, StackConfig, free_port

# How a broken account service can fail; "pass" (forward to the real one) is the healthy mode.
FAULT_MODES = ("down", "slow", "http500", "malformed_json", "unexpected_json")
# Longer than every client timeout below, so that "slow" always means too slow.
SLOW_SECONDS = 4.0
# Short, so that the "slow" mode trips a client quickly.
FAULT_CLIENT_TIMEOUT = 0.5
# The action server's timeout towards the account service in the private stack.
ACCOUNT_TIMEOUT = 1.0
API_TOKEN = "fault-test-token"


class FaultyAccountService:
    """An HTTP server in a thread that answers the way a broken account service would.

    In mode "pass" it forwards every request to `upstream` (the real service); "down"
    closes its port so connections are refused.
    """

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = "pass"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def start(self) -> FaultyAccountService:
        self._thread.start()
        self._run(self._start())
        return self

    def stop(self) -> None:
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def set_mode(self, mode: str) -> None:
        assert mode in FAULT_MODES or (mode == "pass" and self.upstream), mode
        self.mode = mode
        self._run(self._close_site() if mode == "down" else self._open_site())

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        await self._open_site()

    async def _open_site(self) -> None:
        if self._site is None:
            assert self._runner is not None
            self._site = web.TCPSite(
                self._runner, "127.0.0.1", self.port, shutdown_timeout=0.2, reuse_address=True
            )
            await self._site.start()

    async def _close_site(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def _stop(self) -> None:
        current = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not current:
                task.cancel()
        await self._close_site()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        mode = self.mode
        if mode == "down":
            # A connection kept alive from before the outage: drop it like a dead host.
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable()
        if mode == "slow":
            await asyncio.sleep(SLOW_SECONDS)
            return web.json_response({"status": "ok"})
        if mode == "http500":
            return web.json_response({"error": "internal_error"}, status=500)
        if mode == "malformed_json":
            return web.Response(
                text='{"status": "sent", "token": ', content_type="application/json"
            )
        if mode == "unexpected_json":
            return web.json_response(["not", "what", "the", "client", "expects"])
        return await self._forward(request)

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None and self.upstream is not None
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() in ("x-api-key", "x-verification-token", "content-type")
        }
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            data=await request.read(),
            headers=headers,
        ) as upstream:
            return web.Response(
                body=await upstream.read(),
                status=upstream.status,
                content_type=upstream.content_type,
            )


@contextmanager
def faulty_account_service(upstream: str | None = None) -> Iterator[FaultyAccountService]:
    service = FaultyAccountService(upstream).start()
    try:
        yield service
    finally:
        service.stop()


@dataclass
class FaultStack:
    """A private stack whose action server reaches the account service through `account`."""

    stack: Stack
    account: FaultyAccountService

    @property
    def config(self) -> StackConfig:
        return self.stack.config

    def ensure_running(self) -> None:
        """Brings back any program a test stopped and the account service's normal mode."""
        self.account.set_mode("pass")
        for name in ("action-server", "rasa"):
            self.stack.supervisor.start(name)
