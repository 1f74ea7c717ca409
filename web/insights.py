"""/insights: the support team's page, behind the agent token.

An agent signs in once with the token (INSIGHTS_AGENT_TOKEN, generated into var/secrets.env
by `make run`); each sign-in starts a server-side session with a random id of its own, kept
in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS) that ends after COOKIE_SECONDS or
at logout. Sign-in attempts are limited per client network. Scripts may send
`Authorization: Bearer <token>` instead.
Without a configured token or tracker store the routes answer 503 and show no data.
"""

from __future__ import annotations

import asyncio
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from aiohttp import web
from limits import parse, storage, strategies

from common.clients import client_network
from common.constant_time import same_secret
from insights.measures import Insights, Measures, Period, Table, engine_for
from insights.report import render, to_csv

COOKIE = "insights_session"
COOKIE_SECONDS = 8 * 3600
DEFAULT_DAYS = 7
MAX_DAYS = 366
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class InsightsConfig:
    """Where the numbers come from and the token that opens them."""

    token: str
    tracker_db: str  # SQLite path or SQLAlchemy URL
    accounts_db: Path | None = None


CONFIG = web.AppKey("insights", InsightsConfig)
MEASURES = web.AppKey("insights_measures", dict)


# Wrong tokens per client network: a person mistypes a few times, a script guessing stops.
SIGN_IN_ATTEMPTS = parse("5 per minute")


class AgentSessions:
    """Signed-in agents, server-side: one random id per sign-in, valid until it expires or
    its agent logs out (one process; the page server runs once per deployment)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expires: dict[str, float] = {}
        # The limiter holds its storage by a weak reference only: kept here.
        self._attempts_storage = storage.MemoryStorage()
        self._attempts = strategies.MovingWindowRateLimiter(self._attempts_storage)

    def start(self) -> str:
        now = self._clock()
        self._expires = {sid: at for sid, at in self._expires.items() if at > now}
        session_id = secrets.token_urlsafe(32)
        self._expires[session_id] = now + COOKIE_SECONDS
        return session_id

    def valid(self, session_id: str) -> bool:
        return self._expires.get(session_id, 0.0) > self._clock()

    def end(self, session_id: str) -> None:
        self._expires.pop(session_id, None)

    def may_try(self, client: str) -> bool:
        """False once the client had its wrong tokens this minute: then even the right one is
        refused, so a guesser cannot tell which guess was right."""
        return bool(self._attempts.test(SIGN_IN_ATTEMPTS, "insights-sign-in", client))

    def wrong_token(self, client: str) -> None:
        self._attempts.hit(SIGN_IN_ATTEMPTS, "insights-sign-in", client)


SESSIONS = web.AppKey("insights_sessions", AgentSessions)


def authorized(request: web.Request) -> bool:
    config = request.app[CONFIG]
    bearer = request.headers.get("Authorization", "")
    if bearer.startswith("Bearer "):
        return same_secret(bearer[7:].strip(), config.token)
    return request.app[SESSIONS].valid(request.cookies.get(COOKIE, ""))


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Support insights: sign in</title><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:28em;margin:3em auto;padding:0 1em}}
input{{font-size:1rem;padding:.4em;width:100%;box-sizing:border-box}}
button{{font-size:1rem;margin-top:.6em}}</style>
</head><body><h1>Support insights</h1>{message}
<form method="post" action="/insights/login"><label for="token">Agent token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></body></html>"""


def login_page(message: str = "", status: int = 401) -> web.Response:
    alert = f"<p role='alert'>{html.escape(message)}</p>" if message else ""
    body = LOGIN_PAGE.format(message=alert)
    return web.Response(text=body, content_type="text/html", status=status, headers=PAGE_HEADERS)


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


async def login(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    sessions = request.app[SESSIONS]
    client = client_network(request.remote or "")
    if not sessions.may_try(client):
        response = login_page("Too many sign-in attempts. Wait a minute and try again.", 429)
        response.headers["Retry-After"] = "60"
        return response
    form = await request.post()
    token = str(form.get("token") or "")
    if not same_secret(token, config.token):
        sessions.wrong_token(client)
        await asyncio.sleep(0.5)  # guessing costs time
        return login_page("That token is not right.")
    response = web.HTTPSeeOther("/insights")
    response.set_cookie(
        COOKIE,
        sessions.start(),
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/insights",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    request.app[SESSIONS].end(request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/insights")
    response.del_cookie(COOKIE, path="/insights")
    return response


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
    app[SESSIONS] = AgentSessions()
    app.router.add_get("/insights", page)
    app.router.add_get("/insights/csv/{name}.csv", table_csv)
    app.router.add_post("/insights/login", login)
    app.router.add_post("/insights/logout", logout)
