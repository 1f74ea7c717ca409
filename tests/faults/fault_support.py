"""Shared pieces of the fault tests: a switchable stand-in for the account service,
a socket.io learner, and reading the SQLite tracker store."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import socketio
from aiohttp import web

from stack.processes import free_port

# Modes of the stand-in: "pass" forwards to the real service; the others misbehave.
FAULT_MODES = ("down", "slow", "http500", "malformed_json", "unexpected_json")
SLOW_SECONDS = 4.0


class SwitchableAccountService:
    """An HTTP server in a thread, in front of the real account service.

    In mode "pass" it forwards every request; in a fault mode it misbehaves the way a
    broken service would; "down" closes its port so connections are refused.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
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

    def start(self) -> SwitchableAccountService:
        self._thread.start()
        self._run(self._start())
        return self

    def stop(self) -> None:
        self._run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def set_mode(self, mode: str) -> None:
        assert mode == "pass" or mode in FAULT_MODES, mode
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
        assert self._session is not None
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
def switchable_account_service(upstream: str) -> Iterator[SwitchableAccountService]:
    service = SwitchableAccountService(upstream).start()
    try:
        yield service
    finally:
        service.stop()


class SocketChat:
    """A learner using the website widget's protocol (socket.io, session persistence)."""

    def __init__(self, rasa_url: str, origin: str | None = "http://localhost:8080") -> None:
        self.rasa_url = rasa_url
        self.headers = {"Origin": origin} if origin else {}
        self.session_id = f"widget-{uuid.uuid4().hex[:10]}"
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed = asyncio.Event()

        @self.client.on("bot_uttered")
        async def bot_uttered(data: dict[str, Any]) -> None:
            await self.received.put(data)

        @self.client.on("session_confirm")
        async def session_confirm(_data: Any) -> None:
            self.confirmed.set()

    async def connect(self, transports: list[str] | None = None) -> None:
        await self.client.connect(
            self.rasa_url,
            headers=self.headers,
            socketio_path="/socket.io",
            # Long-polling: this client's websocket transport needs a newer aiohttp than
            # the one Rasa pins (the server side and browsers are not affected).
            transports=transports or ["polling"],
            wait_timeout=10,
        )
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self.confirmed.wait(), timeout=30)

    async def say(self, text: str, first_wait: float = 60, quiet: float = 2.0) -> list[str]:
        """Sends a message; collects bot messages until none arrive for `quiet` seconds."""
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        replies = [await asyncio.wait_for(self.received.get(), timeout=first_wait)]
        while True:
            try:
                replies.append(await asyncio.wait_for(self.received.get(), timeout=quiet))
            except asyncio.TimeoutError:
                break
        return [str(reply.get("text") or "") for reply in replies]

    async def close(self) -> None:
        await self.client.disconnect()


def unique_address(label: str) -> str:
    """An address no seeded account uses, so rate limits of other tests don't interfere."""
    return f"{label}.{uuid.uuid4().hex[:8]}@example.org"
