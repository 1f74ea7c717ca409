"""/desk: the support team's live console, behind the agent sign-in (web/agents.py).

The queue (who waits, how long, the section and the article step they reached, whether
they proved their address), taking a conversation, its whole transcript, replies that the
learner's widget shows at once, the learner's messages as they come, and ending the chat
with an outcome. Pages are rendered here; web/static/desk.js refreshes them every second.

Every action checks the agent's session; the account service's desk (account_service/
desk.py) decides who has a conversation, and the Rasa server's desk routes
(rasa_addons/channels/desk.py, with AGENT_DESK_TOKEN) put the agent into it.
The transcript hides one-time codes always, and addresses unless the learner proved theirs.
"""

from __future__ import annotations

import asyncio
import html
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiohttp import ClientError, ClientSession, ClientTimeout, web

from actions.account_client import AccountClient, AccountServiceUnavailable
from common.codes import without_codes
from common.handoff import OUTCOMES, WRITTEN_BY_KEY, masked
from insights.article import step_label
from insights.measures import engine_for
from web.agents import ON_SIGN_OUT, PAGE_HEADERS, add_sign_in, login_page, signed_in_agent

# Button payloads and external intents, as the transcript shows them.
EXTERNAL_PREFIX = "EXTERNAL: "
PROOF_SLOT = "verified_email"
# What the widget sends, unseen, when the learner opens the chat.
OPENED_CHAT = "/greet"
MAX_REPLY = 2000


@dataclass(frozen=True)
class DeskConfig:
    token: str  # the agent sign-in's
    tracker_db: str
    rasa_url: str  # where the Rasa server's desk routes are
    desk_token: str  # AGENT_DESK_TOKEN
    accounts: AccountClient


DESK = web.AppKey("desk", DeskConfig)
HTTP = web.AppKey("desk_http", ClientSession)
ENGINE = web.AppKey("desk_engine", dict)

PAGE_HEADERS_WITH_SCRIPT = {
    **PAGE_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; "
        "style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}

Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


def same_site(request: web.Request) -> bool:
    """Not a post from another site's page: browsers name where a request comes from in
    Sec-Fetch-Site (the session cookie, SameSite=Strict, is not sent cross-site either).
    Origin is not compared with Host, which a proxy in front may rewrite."""
    return request.headers.get("Sec-Fetch-Site") not in ("cross-site", "same-site")


def agent_only(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Every desk route: a signed-in agent, and for a form post a request from this site."""

    async def checked(request: web.Request) -> web.StreamResponse:
        agent = signed_in_agent(request)
        if agent is None:
            if request.method == "GET" and not request.path.endswith(".json"):
                return login_page("Sign in to take conversations.", next_page="/desk")
            return web.json_response({"error": "signed_out"}, status=401)
        if request.method == "POST" and not same_site(request):
            return web.json_response({"error": "origin"}, status=403)
        return await handler(request, agent)

    return checked


def page(title: str, agent: str, body: str) -> web.Response:
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em}}
header{{display:flex;justify-content:space-between;align-items:center;gap:1em}}
table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.35em .5em;
border-bottom:1px solid #ddd}}.line{{margin:.3em 0;padding:.45em .7em;border-radius:.5em;
max-width:42em}}.learner{{background:#eef3ff}}.assistant{{background:#f3f3f3}}
.agent{{background:#e8f7ec}}.note{{color:#555;font-style:italic}}.who{{font-weight:600;
margin-right:.4em}}textarea{{width:100%;font-size:1rem;box-sizing:border-box}}
#status{{color:#8a1c1c}}
</style></head><body data-agent="{html.escape(agent, quote=True)}">
<header><h1>{html.escape(title)}</h1><span>Signed in as {html.escape(agent)}
<form method="post" action="/insights/logout" style="display:inline">
<button type="submit">Sign out</button></form></span></header>
<p id="status" role="status"></p>
{body}
<script src="/static/desk.js"></script></body></html>"""
    return web.Response(text=text, content_type="text/html", headers=PAGE_HEADERS_WITH_SCRIPT)


def minutes_waited(since: float, now: float) -> str:
    waited = max(0, int(now - since))
    return f"{waited // 60} min {waited % 60:02d} s"


def queue_rows(queue: list[dict[str, Any]], agent: str, now: float) -> list[dict[str, Any]]:
    """The queue as the console shows it."""
    return [
        {
            "conversation_id": entry["conversation_id"],
            "short_id": entry["conversation_id"][:8],
            "state": entry["state"],
            "waited": minutes_waited(entry["requested_at"], now),
            "topic": str(entry["topic"]).replace("_", " "),
            "step": step_label(entry["step"]) if entry["step"] != "none" else "none",
            "proven": bool(entry["proven"]),
            "agent": entry.get("agent"),
            "mine": entry.get("agent") == agent,
        }
        for entry in queue
    ]


async def current_queue(request: web.Request, agent: str) -> tuple[int, list[dict[str, Any]]]:
    """The queue, after telling the desk this agent's console is open."""
    accounts = request.app[DESK].accounts
    await accounts.agent_seen(agent)
    present, queue = await accounts.handoff_queue()
    return present, queue_rows(queue, agent, time.time())


async def console(request: web.Request, agent: str) -> web.Response:
    note = ""
    if request.query.get("taken"):
        note = "<p role='alert'>Another agent took that conversation first.</p>"
    body = (
        note + "<p id='present'></p><table><thead><tr><th>Learner</th><th>Waiting</th>"
        "<th>Section</th><th>Step reached</th><th>Address proven</th><th></th></tr></thead>"
        "<tbody id='queue'><tr><td colspan='6'>Loading the queue…</td></tr></tbody></table>"
    )
    return page("Live chats", agent, body)


async def queue_json(request: web.Request, agent: str) -> web.Response:
    present, rows = await current_queue(request, agent)  # desk_errors answers an outage
    return web.json_response({"agents_present": present, "queue": rows})


async def rasa_desk(request: web.Request, route: str, body: dict[str, Any]) -> bool:
    """One call to the Rasa server's desk routes; False when it did not answer 200."""
    config = request.app[DESK]
    try:
        async with request.app[HTTP].post(
            f"{config.rasa_url}/webhooks/desk/{route}",
            json=body,
            headers={"Authorization": f"Bearer {config.desk_token}"},
        ) as answer:
            return answer.status == 200
    except (ClientError, asyncio.TimeoutError):
        return False


async def take(request: web.Request, agent: str) -> web.StreamResponse:
    form = await request.post()
    conversation = str(form.get("conversation_id") or "")
    accounts = request.app[DESK].accounts
    if not conversation or not await accounts.take_handoff(conversation, agent):
        raise web.HTTPSeeOther("/desk?taken=1")
    joined = {"conversation_id": conversation, "agent": agent}
    if not await rasa_desk(request, "join", joined):
        # The learner was never told an agent came: the handoff ends, they can ask again.
        await accounts.end_handoff(conversation, agent, "not_solved")
        return web.json_response({"error": "assistant_unavailable"}, status=502)
    raise web.HTTPSeeOther(f"/desk/chat/{conversation}")


async def holds(request: web.Request, agent: str, conversation: str) -> bool:
    return await request.app[DESK].accounts.handoff_holder(conversation) == agent


def engine(request: web.Request) -> sa.engine.Engine | None:
    cache = request.app[ENGINE]
    if "engine" not in cache:
        try:
            cache["engine"] = engine_for(request.app[DESK].tracker_db)
        except FileNotFoundError:
            return None
    return cache["engine"]


def transcript_lines(
    store: sa.engine.Engine, conversation: str, after: int
) -> tuple[list[dict[str, Any]], int]:
    """The conversation's lines after event id `after`, as the agent reads them, and the
    last id read (each poll reads only the new rows). Addresses are masked unless the
    learner has proved one; codes always are."""
    with store.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT id, type_name, data FROM events"
                " WHERE sender_id = :sender AND id > :after ORDER BY id"
            ),
            {"sender": conversation, "after": after},
        ).fetchall()
        proven = bool(rows) and has_proven_address(connection, conversation)
    lines = []
    for _, kind, data in rows:
        line = transcript_line(kind, json.loads(data))
        if line is not None:
            line["text"] = without_codes(line["text"]) if proven else masked(line["text"])
            lines.append(line)
    return lines, rows[-1][0] if rows else after


def has_proven_address(connection: sa.engine.Connection, conversation: str) -> bool:
    """Whether the conversation's latest setting of the proof slot holds an address."""
    slots = connection.execute(
        sa.text(
            "SELECT data FROM events WHERE sender_id = :sender AND type_name = 'slot'"
            " ORDER BY id DESC"
        ),
        {"sender": conversation},
    )
    for (data,) in slots:
        event = json.loads(data)
        if event.get("name") == PROOF_SLOT:
            return bool(event.get("value"))
    return False


def transcript_line(kind: str, event: dict[str, Any]) -> dict[str, Any] | None:
    text = str(event.get("text") or "")
    if kind == "user":
        if text.startswith(EXTERNAL_PREFIX):
            return None
        if text == OPENED_CHAT:
            text = "(opened the chat)"
        elif text.startswith("/"):
            text = f"(pressed a button: {text[1:].split('{')[0].replace('_', ' ')})"
        return {"who": "learner", "name": "Learner", "text": text}
    if kind == "bot" and text:
        agent = (event.get("metadata") or {}).get(WRITTEN_BY_KEY)
        if agent:
            return {"who": "agent", "name": str(agent), "text": text}
        return {"who": "assistant", "name": "Assistant", "text": text}
    if kind == "pause":
        return {"who": "note", "name": "", "text": "The assistant steps aside."}
    if kind == "resume":
        return {"who": "note", "name": "", "text": "The assistant is back."}
    return None


async def chat(request: web.Request, agent: str) -> web.Response:
    conversation = request.match_info["conversation"]
    if not await holds(request, agent, conversation):
        return page(
            "Not your chat",
            agent,
            "<p>Another agent has this chat, or it ended. "
            "<a href='/desk'>Back to the queue</a></p>",
        )
    outcomes = "".join(
        f"<label><input type='radio' name='outcome' value='{key}' required> {label}</label> "
        for key, label in OUTCOMES.items()
    )
    quoted = html.escape(conversation, quote=True)
    short = html.escape(conversation[:8])
    body = f"""<p><a href="/desk">Back to the queue</a> · learner {short}</p>
<section id="transcript" data-conversation="{quoted}" aria-live="polite"></section>
<form id="reply"><label for="text">Your reply</label>
<textarea id="text" name="text" rows="3" maxlength="{MAX_REPLY}" required></textarea>
<button type="submit">Send</button></form>
<form method="post" action="/desk/chat/{quoted}/end"><fieldset><legend>End the chat</legend>
{outcomes}<button type="submit">End chat</button></fieldset></form>"""
    return page("Live chat", agent, body)


async def chat_events(request: web.Request, agent: str) -> web.Response:
    conversation = request.match_info["conversation"]
    try:
        after = int(request.query.get("after") or 0)
    except ValueError:
        return web.json_response({"error": "after"}, status=400)
    mine = await holds(request, agent, conversation)
    store = engine(request)
    if not mine or store is None:
        return web.json_response({"mine": mine, "lines": [], "last": after})
    lines, last = await asyncio.to_thread(transcript_lines, store, conversation, after)
    return web.json_response({"mine": True, "lines": lines, "last": last})


async def reply(request: web.Request, agent: str) -> web.Response:
    conversation = request.match_info["conversation"]
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_REPLY:
        return web.json_response({"error": "text"}, status=400)
    if not await holds(request, agent, conversation):
        return web.json_response({"error": "not_yours"}, status=409)
    sent = {"conversation_id": conversation, "agent": agent, "text": text.strip()}
    if not await rasa_desk(request, "message", sent):
        return web.json_response({"error": "assistant_unavailable"}, status=502)
    return web.json_response({"sent": True})


async def end(request: web.Request, agent: str) -> web.StreamResponse:
    conversation = request.match_info["conversation"]
    form = await request.post()
    outcome = str(form.get("outcome") or "")
    if outcome not in OUTCOMES:
        raise web.HTTPBadRequest(text="choose an outcome")
    if not await request.app[DESK].accounts.end_handoff(conversation, agent, outcome):
        raise web.HTTPSeeOther("/desk")
    left = {"conversation_id": conversation, "agent": agent, "outcome": outcome}
    if not await rasa_desk(request, "leave", left):
        return web.json_response({"error": "assistant_unavailable"}, status=502)
    raise web.HTTPSeeOther("/desk")


@web.middleware
async def desk_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """The account service down: a clear 503, not a traceback."""
    try:
        return await handler(request)
    except AccountServiceUnavailable:
        if not request.path.startswith("/desk"):
            raise
        return web.json_response({"error": "desk_unavailable"}, status=503)


async def _resources(app: web.Application):  # type: ignore[no-untyped-def]
    app[HTTP] = ClientSession(timeout=ClientTimeout(total=10))
    yield
    await app[HTTP].close()
    await app[DESK].accounts.close()


def add_routes(app: web.Application, config: DeskConfig | None) -> None:
    """The /desk routes; with no configuration they answer 503."""
    if config is None:

        async def off(_: web.Request) -> web.Response:
            return web.Response(status=503, text="The live desk is off: see docs/handoff.md.")

        app.router.add_get("/desk", off)
        return
    app[DESK] = config
    app[ENGINE] = {}
    add_sign_in(app, config.token)

    async def gone(agent: str) -> None:
        try:
            await config.accounts.agent_seen(agent, present=False)
        except AccountServiceUnavailable:
            pass

    app[ON_SIGN_OUT].append(gone)
    app.middlewares.append(desk_errors)
    app.cleanup_ctx.append(_resources)
    app.router.add_get("/desk", agent_only(console))
    app.router.add_get("/desk/queue.json", agent_only(queue_json))
    app.router.add_post("/desk/take", agent_only(take))
    app.router.add_get("/desk/chat/{conversation}", agent_only(chat))
    app.router.add_get("/desk/chat/{conversation}/events.json", agent_only(chat_events))
    app.router.add_post("/desk/chat/{conversation}/reply", agent_only(reply))
    app.router.add_post("/desk/chat/{conversation}/end", agent_only(end))
