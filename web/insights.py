"""/insights: the support team's page, behind the agent sign-in (web/agents.py).

Without a configured token or tracker store the routes answer 503 and show no data.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from aiohttp import web

from insights.measures import Insights, Measures, Period, Table, engine_for
from insights.report import render, to_csv
from web.agents import PAGE_HEADERS, add_sign_in, authorized, login_page

DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass(frozen=True)
class InsightsConfig:
    """Where the numbers come from and the token that opens them."""

    token: str
    tracker_db: str  # SQLite path or SQLAlchemy URL
    accounts_db: Path | None = None


CONFIG = web.AppKey("insights", InsightsConfig)
MEASURES = web.AppKey("insights_measures", dict)


def period_of(request: web.Request) -> Period:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD; the last seven days by default."""
    default = Period.last_days(DEFAULT_DAYS)
    try:
        start = date.fromisoformat(request.query.get("from") or default.start.isoformat())
        end = date.fromisoformat(request.query.get("to") or default.end.isoformat())
    except ValueError as problem:
        raise web.HTTPBadRequest(text="from and to are dates: YYYY-MM-DD") from problem
    if end < start or end - start > timedelta(days=MAX_DAYS):
        raise web.HTTPBadRequest(text=f"a period is 1 to {MAX_DAYS} days, from before to")
    return Period(start, end)


def period_form(period: Period) -> str:
    return (
        "<form class='period' method='get' action='/insights'>"
        f"<label>from <input type='date' name='from' value='{period.start.isoformat()}'></label>"
        f"<label>to <input type='date' name='to' value='{period.end.isoformat()}'></label>"
        "<button type='submit'>Show</button></form>"
        "<form class='period' method='post' action='/insights/logout'>"
        "<button type='submit'>Sign out</button></form>"
    )


async def compute(request: web.Request, period: Period) -> Insights:
    config = request.app[CONFIG]
    cache = request.app[MEASURES]
    if "measures" not in cache:
        try:
            engine = engine_for(config.tracker_db)
        except FileNotFoundError:
            # No conversation yet (Rasa creates the store on its first message): empty
            # figures now, and the store is looked for again on the next request.
            empty = Measures(engine_for("sqlite://"), accounts_db=config.accounts_db)
            return await asyncio.to_thread(empty.compute, period)
        cache["measures"] = Measures(engine, accounts_db=config.accounts_db)
    measures: Measures = cache["measures"]
    # One computation at a time: each one first brings the summary table up to date.
    async with cache.setdefault("lock", asyncio.Lock()):
        return await asyncio.to_thread(measures.compute, period)


async def page(request: web.Request) -> web.Response:
    if not authorized(request):
        return login_page()
    period = period_of(request)
    insights = await compute(request, period)
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"

    def link(table: Table) -> str:
        return f"/insights/csv/{table.name}.csv?{query}"

    text = await asyncio.to_thread(render, insights, link, period_form(period))
    return web.Response(text=text, content_type="text/html", headers=PAGE_HEADERS)


async def table_csv(request: web.Request) -> web.Response:
    if not authorized(request):
        raise web.HTTPUnauthorized(text="sign in at /insights first")
    insights = await compute(request, period_of(request))
    name = request.match_info["name"]
    if name not in insights.tables:
        raise web.HTTPNotFound(text="no such table")
    return web.Response(
        text=to_csv(insights.table(name)),
        content_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def disabled(_: web.Request) -> web.Response:
    return web.Response(
        status=503,
        text="Support insights are off: start the page with INSIGHTS_AGENT_TOKEN and --tracker-db.",
    )


def add_routes(app: web.Application, config: InsightsConfig | None) -> None:
    """The /insights routes; with no configuration they all answer 503."""
    if config is None or not config.token:
        for path in ("/insights", "/insights/csv/{name}.csv"):
            app.router.add_get(path, disabled)
        app.router.add_post("/insights/login", disabled)
        return
    app[CONFIG] = config
    app[MEASURES] = {}
    add_sign_in(app, config.token)
    app.router.add_get("/insights", page)
    app.router.add_get("/insights/csv/{name}.csv", table_csv)
