"""Serves the demo help-center page, the widget bundle and a read-only demo mailbox.

The mailbox endpoint proxies `GET /api/outbox?to=` to the account service with the API key
from the environment, so the key stays on the server. Run:

    ACCOUNT_SERVICE_URL=http://127.0.0.1:8001 ACCOUNT_SERVICE_API_KEY=dev-key \
        python -m web.server --port 8080 --rasa-url http://127.0.0.1:5005
"""

from __future__ import annotations

import argparse
import html
import json
import os
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout, web

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
WIDGET_BUNDLE = HERE.parent / "widget" / "dist" / "widget.js"

RASA_URL = web.AppKey("rasa_url", str)
ACCOUNT_URL = web.AppKey("account_url", str)
API_KEY = web.AppKey("api_key", str)
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
    try:
        async with app[HTTP].get(
            f"{app[ACCOUNT_URL]}/outbox",
            params={"to": address},
            headers={"X-API-Key": app[API_KEY]},
        ) as upstream:
            if upstream.status != 200:
                return web.json_response({"error": "mailbox unavailable"}, status=502)
            mails = await upstream.json()
    except (ClientError, TimeoutError, json.JSONDecodeError):
        return web.json_response({"error": "mailbox unavailable"}, status=502)
    fields = ("to", "subject", "body", "sent_at")
    return web.json_response([{key: mail.get(key) for key in fields} for mail in mails])


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _client(app: web.Application):  # type: ignore[no-untyped-def]
    app[HTTP] = ClientSession(timeout=ClientTimeout(total=5))
    yield
    await app[HTTP].close()


def make_app(rasa_url: str, account_url: str, api_key: str) -> web.Application:
    app = web.Application()
    app[RASA_URL] = rasa_url.rstrip("/")
    app[ACCOUNT_URL] = account_url.rstrip("/")
    app[API_KEY] = api_key
    app.cleanup_ctx.append(_client)
    app.router.add_get("/", index)
    app.router.add_get("/widget.js", widget_bundle)
    app.router.add_get("/api/outbox", outbox)
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Demo help-center page with the chat widget")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    args = parser.parse_args()
    app = make_app(
        args.rasa_url,
        os.environ.get("ACCOUNT_SERVICE_URL", "http://127.0.0.1:8001"),
        os.environ.get("ACCOUNT_SERVICE_API_KEY", "dev-key"),
    )
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
