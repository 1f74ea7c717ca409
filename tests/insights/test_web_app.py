"""The /insights routes of the demo web server's app, without a stack: before the first
conversation, and with insights switched off."""

from __future__ import annotations

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
