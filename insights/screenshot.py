"""docs/images/insights-desktop.png and insights-phone.png: the page in headless Chromium.

The page is served by the demo web server's own app (web/server.py) over a seeded tracker
store (500 synthetic conversations, fixed seed), signed in through the login form.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa
from aiohttp import web

from common.chromium import chromium
from insights import sql
from insights.seed import seed
from stack.processes import free_port
from web.insights import InsightsConfig
from web.server import make_app


def serve(app: web.Application, port: int, ready: threading.Event, stop: threading.Event) -> None:
    async def main() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await runner.cleanup()

    asyncio.run(main())


def take(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="insights-shot-") as directory:
        db = Path(directory) / "tracker.db"
        engine = sa.create_engine(f"sqlite:///{db}")
        seed(engine, 500, days=14, seed=3)
        sql.ensure_indexes(engine)
        engine.dispose()
        token = secrets.token_urlsafe(16)
        app = make_app("http://127.0.0.1:5005", None, InsightsConfig(token, str(db)))
        port = free_port()
        ready, stop = threading.Event(), threading.Event()
        server = threading.Thread(target=serve, args=(app, port, ready, stop), daemon=True)
        server.start()
        ready.wait(30)
        shots = []
        try:
            with chromium() as browser:
                for name, width, height in (("desktop", 1280, 1500), ("phone", 375, 740)):
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"http://127.0.0.1:{port}/insights")
                    page.get_by_label("Agent token").fill(token)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_selector("figure[data-chart] svg")
                    path = out_dir / f"insights-{name}.png"
                    page.screenshot(path=str(path))
                    shots.append(path)
                    page.close()
        finally:
            stop.set()
            server.join(10)
    return shots
