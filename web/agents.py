"""The support team's sign-in, shared by /insights and the live desk (/desk).

An agent signs in with the team's token (INSIGHTS_AGENT_TOKEN, generated into
var/secrets.env by `make run`) and the name learners will see in the chat; each sign-in
starts a server-side session with a random id of its own, kept in an HttpOnly,
SameSite=Strict cookie (Secure over HTTPS) that ends after AGENT_SESSION_SECONDS (8 hours)
or at sign-out. Sign-in attempts are limited per client network. Scripts may read
/insights with `Authorization: Bearer <token>` instead; the desk needs a signed-in agent.
"""

from __future__ import annotations

import asyncio
import html
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from limits import parse, storage, strategies

from common.clients import client_network
from common.constant_time import same_secret
from common.handoff import agent_name

COOKIE = "agent_session"
DEFAULT_SESSION_SECONDS = 8 * 3600
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Where a sign-in may lead: the pages behind it.
PAGES_BEHIND = ("/insights", "/desk")

# Wrong tokens per client network: a person mistypes a few times, a script guessing stops.
SIGN_IN_ATTEMPTS = parse("5 per minute")


def session_seconds() -> float:
    return float(os.environ.get("AGENT_SESSION_SECONDS") or DEFAULT_SESSION_SECONDS)


@dataclass(frozen=True)
class Session:
    agent: str
    expires: float


class AgentSessions:
    """Signed-in agents, server-side: one random id per sign-in, valid until it expires or
    its agent signs out (one process; the page server runs once per deployment)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, seconds: float | None = None
    ) -> None:
        self._clock = clock
        self.seconds = seconds if seconds is not None else session_seconds()
        self._sessions: dict[str, Session] = {}
        # The limiter holds its storage by a weak reference only: kept here.
        self._attempts_storage = storage.MemoryStorage()
        self._attempts = strategies.MovingWindowRateLimiter(self._attempts_storage)

    def start(self, agent: str) -> str:
        now = self._clock()
        self._sessions = {sid: s for sid, s in self._sessions.items() if s.expires > now}
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = Session(agent, now + self.seconds)
        return session_id

    def agent(self, session_id: str) -> str | None:
        """The signed-in agent's name; None for an unknown or expired session."""
        session = self._sessions.get(session_id)
        return session.agent if session and session.expires > self._clock() else None

    def valid(self, session_id: str) -> bool:
        return self.agent(session_id) is not None

    def end(self, session_id: str) -> str | None:
        session = self._sessions.pop(session_id, None)
        return session.agent if session else None

    def may_try(self, client: str) -> bool:
        """False once the client had its wrong tokens this minute: then even the right one is
        refused, so a guesser cannot tell which guess was right."""
        return bool(self._attempts.test(SIGN_IN_ATTEMPTS, "agent-sign-in", client))

    def wrong_token(self, client: str) -> None:
        self._attempts.hit(SIGN_IN_ATTEMPTS, "agent-sign-in", client)


TOKEN = web.AppKey("agent_token", str)
SESSIONS = web.AppKey("agent_sessions", AgentSessions)
# Called with the agent's name when they sign out (the desk marks them gone).
ON_SIGN_OUT = web.AppKey("agent_sign_out", list)


def signed_in_agent(request: web.Request) -> str | None:
    return request.app[SESSIONS].agent(request.cookies.get(COOKIE, ""))


def authorized(request: web.Request) -> bool:
    """A signed-in agent, or a script with the token."""
    bearer = request.headers.get("Authorization", "")
    if bearer.startswith("Bearer "):
        return same_secret(bearer[7:].strip(), request.app[TOKEN])
    return signed_in_agent(request) is not None


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Support team: sign in</title><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:28em;margin:3em auto;padding:0 1em}}
input{{font-size:1rem;padding:.4em;width:100%;box-sizing:border-box;margin-bottom:.6em}}
button{{font-size:1rem}}</style>
</head><body><h1>Support team</h1>{message}
<form method="post" action="/insights/login"><input type="hidden" name="next" value="{next}">
<label for="token">Agent token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<label for="name">Your name, as learners see it in the chat</label>
<input id="name" name="name" autocomplete="name" maxlength="40" required>
<button type="submit">Sign in</button></form></body></html>"""


def login_page(message: str = "", status: int = 401, next_page: str = "/insights") -> web.Response:
    alert = f"<p role='alert'>{html.escape(message)}</p>" if message else ""
    body = LOGIN_PAGE.format(message=alert, next=html.escape(next_page, quote=True))
    return web.Response(text=body, content_type="text/html", status=status, headers=PAGE_HEADERS)


async def login(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    client = client_network(request.remote or "")
    form = await request.post()
    next_page = str(form.get("next") or "/insights")
    if next_page not in PAGES_BEHIND:
        next_page = "/insights"
    if not sessions.may_try(client):
        response = login_page(
            "Too many sign-in attempts. Wait a minute and try again.", 429, next_page
        )
        response.headers["Retry-After"] = "60"
        return response
    if not same_secret(str(form.get("token") or ""), request.app[TOKEN]):
        sessions.wrong_token(client)
        await asyncio.sleep(0.5)  # guessing costs time
        return login_page("That token is not right.", next_page=next_page)
    # The insights page needs no name; an agent who skips it is "Support".
    name = agent_name(str(form.get("name") or "Support"))
    if name is None:
        return login_page(
            "A name starts with a letter and has up to 40 letters, digits, spaces, "
            "dots, apostrophes or hyphens.",
            400,
            next_page,
        )
    response = web.HTTPSeeOther(next_page)
    response.set_cookie(
        COOKIE,
        sessions.start(name),
        max_age=int(sessions.seconds),
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    agent = request.app[SESSIONS].end(request.cookies.get(COOKIE, ""))
    if agent is not None:
        for sign_out in request.app[ON_SIGN_OUT]:
            await sign_out(agent)
    response = web.HTTPSeeOther("/insights")
    response.del_cookie(COOKIE, path="/")
    return response


def add_sign_in(app: web.Application, token: str) -> None:
    """The sign-in routes and the sessions, once per app."""
    if SESSIONS in app:
        return
    app[TOKEN] = token
    app[SESSIONS] = AgentSessions()
    app[ON_SIGN_OUT] = []
    app.router.add_post("/insights/login", login)
    app.router.add_post("/insights/logout", logout)
