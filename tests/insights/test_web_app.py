"""The /insights routes of the demo web server's app, without a stack: before the first
conversation, and with insights switched off."""

from __future__ import annotations

import gc
from pathlib import Path

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from insights.seed import seed
from web.insights import InsightsConfig
from web.server import make_app

TOKEN = "agent-token-for-this-test"


async def test_the_store_appears_after_the_page_started(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    app = make_app("http://127.0.0.1:5005", None, InsightsConfig(TOKEN, str(db)))
    async with TestClient(TestServer(app)) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        first = await client.get("/insights", headers=headers)
        assert first.status == 200
        assert "data-measure='conversations'>0<" in await first.text()
        # Rasa creates the store with its first conversation.
        engine = sa.create_engine(f"sqlite:///{db}")
        seed(engine, 5, days=1, seed=5)
        engine.dispose()
        later = await client.get("/insights", headers=headers)
        assert "data-measure='conversations'>5<" in await later.text()


async def test_without_a_token_the_routes_are_off() -> None:
    app = make_app("http://127.0.0.1:5005", None, None)
    async with TestClient(TestServer(app)) as client:
        for path in ("/insights", "/insights/csv/steps.csv"):
            response = await client.get(path, headers={"Authorization": "Bearer "})
            assert response.status == 503
            assert "data-measure" not in await response.text()


async def sign_in(client: TestClient, token: str) -> tuple[int, str | None]:
    """Status of the sign-in form's answer and the session cookie it set, if any."""
    response = await client.post("/insights/login", data={"token": token}, allow_redirects=False)
    cookie = response.cookies.get("agent_session")
    return response.status, cookie.value if cookie else None


async def test_each_sign_in_is_its_own_session_and_logout_ends_it(tmp_path: Path) -> None:
    app = make_app("http://127.0.0.1:5005", None, InsightsConfig(TOKEN, str(tmp_path / "t.db")))
    async with TestClient(TestServer(app)) as client:
        status, first = await sign_in(client, TOKEN)
        _, second = await sign_in(client, TOKEN)
        assert status == 303 and first and second and first != second
        assert TOKEN not in first
        client.session.cookie_jar.clear()
        for session in (first, second):
            page = await client.get("/insights", headers={"Cookie": f"agent_session={session}"})
            assert page.status == 200
        await client.post(
            "/insights/logout",
            headers={"Cookie": f"agent_session={first}"},
            allow_redirects=False,
        )
        ended = await client.get("/insights", headers={"Cookie": f"agent_session={first}"})
        still = await client.get("/insights", headers={"Cookie": f"agent_session={second}"})
        assert (ended.status, still.status) == (401, 200)


async def test_the_session_cookie_is_strict_and_http_only(tmp_path: Path) -> None:
    app = make_app("http://127.0.0.1:5005", None, InsightsConfig(TOKEN, str(tmp_path / "t.db")))
    async with TestClient(TestServer(app)) as client:
        response = await client.post(
            "/insights/login", data={"token": TOKEN}, allow_redirects=False
        )
        cookie = response.cookies["agent_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/" and int(cookie["max-age"]) == 8 * 3600


async def test_wrong_tokens_are_limited_per_client(tmp_path: Path) -> None:
    """After five wrong tokens in a minute even the right one is refused (a guesser cannot
    tell which guess was right)."""
    app = make_app("http://127.0.0.1:5005", None, InsightsConfig(TOKEN, str(tmp_path / "t.db")))
    gc.collect()  # what the limits keep must outlive a collection (they once did not)
    async with TestClient(TestServer(app)) as client:
        for guess in range(5):
            assert (await sign_in(client, f"guess-{guess}"))[0] == 401
        status, cookie = await sign_in(client, TOKEN)
        assert (status, cookie) == (429, None)
