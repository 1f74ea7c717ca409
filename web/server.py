"""Serves the demo help-center page, the widget bundle and, in demo mode, a read-only mailbox.

With DEMO_MODE=1 the page shows a mailbox panel, and `GET /api/outbox?to=` proxies to the
account service's `/outbox` with the API key from the environment, so the key stays on the
server. The mailbox shows the mail sent to any address: for local demos only. Without
DEMO_MODE=1 there is neither the panel nor the route. `make run` starts it; alone:

    DEMO_MODE=1 ACCOUNT_SERVICE_URL=http://127.0.0.1:8001 \
        ACCOUNT_SERVICE_API_KEY="$(sed -n 's/^ACCOUNT_SERVICE_API_KEY=//p' var/secrets.env)" \
        python -m web.server --port 8080 --rasa-url http://127.0.0.1:5005
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from actions.account_client import AccountClient, MissingApiKey
from common.demo import demo_mode
from common.links import PAGES
from web import desk
from web.insights import InsightsConfig, add_routes

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
MAILBOX_PANEL = HERE / "mailbox.html"
WIDGET_BUNDLE = HERE.parent / "widget" / "dist" / "widget.js"


@dataclass(frozen=True)
class DemoMailbox:
    """Where the demo mailbox reads mail: the account service, with a key kept server-side."""

    account_url: str
    api_key: str


RASA_URL = web.AppKey("rasa_url", str)
MAILBOX = web.AppKey("mailbox", DemoMailbox)
HTTP = web.AppKey("http", ClientSession)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy(rasa_url: str) -> str:
    websocket = rasa_url.replace("http://", "ws://").replace("https://", "wss://")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"connect-src 'self' {rasa_url} {websocket}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


async def index(request: web.Request) -> web.Response:
    rasa_url = request.app[RASA_URL]
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace("__RASA_URL__", html.escape(rasa_url, quote=True))
    panel = MAILBOX_PANEL.read_text(encoding="utf-8") if MAILBOX in request.app else ""
    page = page.replace("__DEMO_MAILBOX__", panel)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy(rasa_url)}
    return web.Response(text=page, content_type="text/html", headers=headers)


async def widget_bundle(_: web.Request) -> web.StreamResponse:
    if not WIDGET_BUNDLE.exists():
        raise web.HTTPNotFound(text="widget bundle missing: run `make widget`")
    return web.FileResponse(
        WIDGET_BUNDLE, headers={"Cache-Control": "no-cache", **SECURITY_HEADERS}
    )


async def outbox(request: web.Request) -> web.Response:
    address = request.query.get("to", "").strip()
    if not address or "@" not in address or len(address) > 254:
        return web.json_response({"error": "give an email address in ?to="}, status=400)
    app = request.app
    mailbox = app[MAILBOX]
    try:
        async with app[HTTP].get(
            f"{mailbox.account_url}/outbox",
            params={"to": address},
            headers={"X-API-Key": mailbox.api_key},
        ) as upstream:
            if upstream.status != 200:
                return web.json_response({"error": "mailbox unavailable"}, status=502)
            mails = await upstream.json()
    except (ClientError, TimeoutError, json.JSONDecodeError):
        return web.json_response({"error": "mailbox unavailable"}, status=502)
    fields = ("to", "subject", "body", "sent_at")
    return web.json_response([{key: mail.get(key) for key in fields} for mail in mails])


# The help center's pages the assistant links to, as short stand-ins on the demo page.
HELP_PAGES = {path: title for path, title in PAGES.values()}


async def help_page(request: web.Request) -> web.Response:
    title = HELP_PAGES.get(request.match_info["page"])
    if title is None:
        raise web.HTTPNotFound(text="no such help page")
    page = (STATIC / "help-page.html").read_text(encoding="utf-8")
    page = page.replace("__TITLE__", html.escape(title))
    return web.Response(text=page, content_type="text/html", headers=SECURITY_HEADERS)


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _client(app: web.Application):  # type: ignore[no-untyped-def]
    app[HTTP] = ClientSession(timeout=ClientTimeout(total=5))
    yield
    await app[HTTP].close()


def make_app(
    rasa_url: str,
    mailbox: DemoMailbox | None,
    insights: InsightsConfig | None = None,
    live_desk: desk.DeskConfig | None = None,
) -> web.Application:
    """The page; with a `mailbox` (demo mode only), its panel and `/api/outbox` as well; with
    `insights`, the support team's /insights page (web/insights.py); with `live_desk`, their
    live console at /desk (web/desk.py)."""
    app = web.Application()
    app[RASA_URL] = rasa_url.rstrip("/")
    app.router.add_get("/", index)
    app.router.add_get("/widget.js", widget_bundle)
    if mailbox is not None:
        app[MAILBOX] = DemoMailbox(mailbox.account_url.rstrip("/"), mailbox.api_key)
        app.cleanup_ctx.append(_client)
        app.router.add_get("/api/outbox", outbox)
    add_routes(app, insights)
    desk.add_routes(app, live_desk)
    app.router.add_get("/help/{page:.+}", help_page)
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC)
    return app


def demo_mailbox() -> DemoMailbox | None:
    """The mailbox in demo mode (DEMO_MODE=1), which needs the account service's key."""
    if not demo_mode():
        return None
    api_key = os.environ.get("ACCOUNT_SERVICE_API_KEY", "")
    if not api_key:
        raise ValueError("DEMO_MODE=1 needs ACCOUNT_SERVICE_API_KEY for the demo mailbox")
    return DemoMailbox(os.environ.get("ACCOUNT_SERVICE_URL", "http://127.0.0.1:8001"), api_key)


def desk_config(token: str, args: argparse.Namespace) -> desk.DeskConfig | None:
    """The live desk, when the sign-in, the tracker store, the Rasa server's desk token and
    the account service's key are all given."""
    desk_token = os.environ.get("AGENT_DESK_TOKEN", "")
    if not (token and args.tracker_db and desk_token):
        return None
    try:
        accounts = AccountClient.from_env()
    except MissingApiKey:
        return None
    rasa_url = (args.desk_rasa_url or args.rasa_url).rstrip("/")
    return desk.DeskConfig(token, args.tracker_db, rasa_url, desk_token, accounts)


def main() -> None:
    parser = argparse.ArgumentParser(description="Demo help-center page with the chat widget")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument(
        "--tracker-db",
        default=os.environ.get("TRACKER_DB", ""),
        help="the tracker store for /insights: SQLite path or SQLAlchemy URL",
    )
    parser.add_argument(
        "--accounts-db",
        default=os.environ.get("ACCOUNTS_DB", ""),
        help="the account service's SQLite file, for its ticket count on /insights",
    )
    parser.add_argument(
        "--desk-rasa-url",
        default=os.environ.get("DESK_RASA_URL", ""),
        help="where the live desk reaches the Rasa server (default: --rasa-url)",
    )
    args = parser.parse_args()
    try:
        mailbox = demo_mailbox()
    except ValueError as problem:
        sys.exit(str(problem))
    token = os.environ.get("INSIGHTS_AGENT_TOKEN", "")
    insights = (
        InsightsConfig(token, args.tracker_db, Path(args.accounts_db) if args.accounts_db else None)
        if token and args.tracker_db
        else None
    )
    app = make_app(args.rasa_url, mailbox, insights, desk_config(token, args))
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
