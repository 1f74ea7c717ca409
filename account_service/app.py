"""aiohttp application for the mock account service.

``create_app`` takes its clock and code generator as arguments so tests can run
the real app in-process and still control expiry and read predictable codes.

The mail endpoints check the mail budget before they look at the account, and answer no
sooner than a fixed time after the request arrived, so neither the answer nor its timing
tells who has an account. Padding was chosen over work after the answer because the lookup
and the mail write take well under a millisecond, and work after the answer still delays
the next request the service handles, which an observer can time just as well.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from account_service.accounts import Accounts
from account_service.codes import Codes, random_code
from account_service.desk import Desk, DeskSettings, Place
from account_service.idempotency import Idempotency
from account_service.limits import UNKNOWN_CLIENT, Limits, Refusal
from account_service.storage import Clock, Storage
from account_service.tickets import TicketOutcome, Tickets
from common.addresses import is_valid_domain, is_valid_email, mask_email, normalize_email
from common.constant_time import same_secret
from common.handoff import OUTCOMES, agent_name

logger = logging.getLogger("account_service")

DEFAULT_PUBLIC_URL = "http://localhost:8001"
MAX_ID_LENGTH = 200
MAX_TEXT_LENGTH = 5000
MAX_TRANSCRIPT_TURNS = 2000
PRIORITIES = ("normal", "high")
SENDERS = ("user", "bot")
# The assistant's opaque id of the learner's network address (an HMAC, 16 hex digits).
CLIENT_RE = re.compile(r"^[0-9a-f]{16}$")
# The mail endpoints answer after this long, whatever the address: well above the few
# hundred microseconds the account lookup and the mail write take, even on a busy machine.
MAIL_ANSWER_SECONDS = 0.02

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Service:
    """What the handlers call: the rules, and storage for what needs none."""

    storage: Storage
    codes: Codes
    accounts: Accounts
    tickets: Tickets
    desk: Desk


SERVICE_KEY = web.AppKey("service", Service)
API_KEY = web.AppKey("api_key", str)


class ApiError(Exception):
    """Raised by handlers to answer with a fixed JSON error instead of a traceback."""

    def __init__(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(payload.get("error", "error"))
        self.status = status
        self.payload = payload
        self.headers = headers


def _bad_request() -> ApiError:
    return ApiError(400, {"error": "bad_request"})


def _limited(refusal: Refusal) -> ApiError:
    """429 with the same body for any address: the limit's name and the wait."""
    wait = refusal.retry_after_seconds
    return ApiError(
        429,
        {"error": refusal.error, "retry_after_seconds": wait},
        headers={"Retry-After": str(wait)},
    )


class SafeAccessLogger(AbstractAccessLogger):
    """Access log of routes, not paths: ``/outbox?to=`` carries an address and
    ``/conversations/{conversation_id}`` a conversation, and neither may outlive a "forget"."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        match_info = getattr(request, "match_info", None)
        resource = match_info.route.resource if match_info is not None else None
        route = resource.canonical if resource is not None else "(no route)"
        self.logger.info("%s %s %s %.1fms", request.method, route, response.status, time * 1000)


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's response, or the fixed JSON answer for what it raised (no traceback).

    The error middleware, and also the idempotency wrapper, which must see a request's whole
    answer to keep it.
    """
    try:
        return await handler(request)
    except ApiError as error:
        return web.json_response(error.payload, status=error.status, headers=error.headers)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        reason = error.reason.lower().replace(" ", "_")
        return web.json_response({"error": reason}, status=error.status)
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal_error"}, status=500)


_error_middleware = web.middleware(_answer)


@web.middleware
async def _auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/health":
        return await handler(request)
    expected = request.app[API_KEY]
    given = request.headers.get("X-API-Key", "")
    if not same_secret(given, expected):
        raise ApiError(401, {"error": "unauthorized"})
    return await handler(request)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise _bad_request() from None
    if not isinstance(body, dict):
        raise _bad_request()
    return body


def _text_field(body: dict[str, Any], name: str, max_length: int = MAX_ID_LENGTH) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise _bad_request()
    return value.strip()


def _email_field(body: dict[str, Any], name: str = "email") -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise _bad_request()
    if not is_valid_email(value):
        raise ApiError(400, {"error": "invalid_email"})
    return normalize_email(value)


def _client_field(body: dict[str, Any]) -> str:
    """Calls without a client id (rasa shell, scripts) are counted together."""
    value = body.get("client")
    if value is None:
        return UNKNOWN_CLIENT
    if not isinstance(value, str) or not CLIENT_RE.match(value):
        raise _bad_request()
    return value


def _service(request: web.Request) -> Service:
    return request.app[SERVICE_KEY]


# -- handlers ----------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def request_code(request: web.Request) -> web.Response:
    body = await _json_body(request)
    email = _email_field(body)
    conversation_id = _text_field(body, "conversation_id")
    refusal = _service(request).accounts.request_code(email, conversation_id, _client_field(body))
    if refusal is not None:
        logger.info("code refused for %s: %s", mask_email(email), refusal.error)
        raise _limited(refusal)
    logger.info("code sent to %s", mask_email(email))
    return web.json_response({"status": "sent"}, status=202)


async def verify_code(request: web.Request) -> web.Response:
    body = await _json_body(request)
    email = _email_field(body)
    conversation_id = _text_field(body, "conversation_id")
    client = _client_field(body)
    raw_code = body.get("code")
    if not isinstance(raw_code, str) or len(raw_code) > 100:
        raise _bad_request()
    result = _service(request).codes.check(email, conversation_id, client, raw_code)
    if isinstance(result, Refusal):
        logger.info("code check for %s refused: %s", mask_email(email), result.error)
        raise _limited(result)
    logger.info("code check for %s: %s", mask_email(email), result.status)
    payload: dict[str, Any] = {"status": result.status}
    if result.token is not None:
        payload["token"] = result.token
    if result.attempts_left is not None:
        payload["attempts_left"] = result.attempts_left
    return web.json_response(payload)


async def account_state(request: web.Request) -> web.Response:
    token = request.headers.get("X-Verification-Token", "")
    conversation_id = request.headers.get("X-Conversation-Id", "")
    service = _service(request)
    email = service.codes.token_email(token, conversation_id) if token else None
    if email is None:
        raise ApiError(401, {"error": "invalid_token"})
    return web.json_response(service.accounts.state(email))


async def domain_sso(request: web.Request) -> web.Response:
    domain = request.match_info["domain"].strip().lower()
    if not is_valid_domain(domain):
        raise ApiError(400, {"error": "invalid_domain"})
    organization, required = _service(request).storage.domain_sso(domain)
    return web.json_response(
        {"domain": domain, "organization": organization, "sso_required": required}
    )


Delivery = Callable[[Accounts, str, str], None]


async def _mail_request(request: web.Request, kind: str, deliver: Delivery) -> web.Response:
    """The budget, then the account-dependent work, answered at a fixed time (module doc)."""
    loop = asyncio.get_running_loop()
    answer_at = loop.time() + MAIL_ANSWER_SECONDS
    body = await _json_body(request)
    email = _email_field(body)
    conversation_id = _text_field(body, "conversation_id")
    accounts = _service(request).accounts
    refusal = accounts.admit_mail(kind, email, conversation_id, _client_field(body))
    if refusal is not None:
        logger.info("%s refused for %s: %s", kind, mask_email(email), refusal.error)
        raise _limited(refusal)
    deliver(accounts, email, conversation_id)
    await _until(answer_at)
    return web.json_response({"status": "accepted"}, status=202)


async def _until(deadline: float) -> None:
    """Sleep to just before `deadline`, then wait out the rest on the clock.

    A sleep alone wakes on a millisecond grid counted from when it began, which would keep
    the lookup's duration in the answer time; the final wait is under 2 ms.
    """
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, deadline - loop.time() - 0.002))
    while loop.time() < deadline:
        pass


def _deliver_reset(accounts: Accounts, email: str, conversation_id: str) -> None:
    accounts.send_password_reset(email, conversation_id)
    logger.info("password reset mail sent to %s", mask_email(email))


def _deliver_confirmation(accounts: Accounts, email: str, conversation_id: str) -> None:
    if accounts.send_confirmation(email, conversation_id):
        logger.info("confirmation mail sent to %s", mask_email(email))


async def password_reset(request: web.Request) -> web.Response:
    return await _mail_request(request, "mail:reset", _deliver_reset)


async def verification_email(request: web.Request) -> web.Response:
    return await _mail_request(request, "mail:confirm", _deliver_confirmation)


def _transcript_field(body: dict[str, Any]) -> list[dict[str, str]]:
    turns = body.get("transcript", [])
    if not isinstance(turns, list) or len(turns) > MAX_TRANSCRIPT_TURNS:
        raise _bad_request()
    cleaned: list[dict[str, str]] = []
    for turn in turns:
        if not isinstance(turn, dict):
            raise _bad_request()
        sender, text = turn.get("sender"), turn.get("text")
        if sender not in SENDERS or not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
            raise _bad_request()
        cleaned.append({"sender": sender, "text": text})
    return cleaned


def _contact_field(body: dict[str, Any]) -> str | None:
    """The proven address support replies to; anything else leaves the ticket unproven."""
    value = body.get("email")
    return normalize_email(value) if isinstance(value, str) and is_valid_email(value) else None


async def create_ticket(request: web.Request) -> web.Response:
    body = await _json_body(request)
    conversation_id = _text_field(body, "conversation_id")
    topic = _text_field(body, "topic")
    priority = body.get("priority", "normal")
    if priority not in PRIORITIES:
        raise _bad_request()
    result = _service(request).tickets.open(
        conversation_id,
        _client_field(body),
        topic,
        priority,
        _transcript_field(body),
        _contact_field(body),
    )
    if isinstance(result, Refusal):
        logger.info("ticket refused: %s", result.error)
        raise _limited(result)
    return _ticket_answer(result, priority)


def _ticket_answer(outcome: TicketOutcome, priority: str) -> web.Response:
    """201 for a new ticket, 200 when the request went onto the conversation's ticket."""
    if outcome.added_to_existing:
        logger.info("request added to ticket %s (%s priority)", outcome.ticket_id, priority)
    else:
        logger.info("ticket %s created (%s priority)", outcome.ticket_id, priority)
    return web.json_response(
        {"ticket_id": outcome.ticket_id, "added_to_existing": outcome.added_to_existing},
        status=200 if outcome.added_to_existing else 201,
    )


async def get_ticket(request: web.Request) -> web.Response:
    ticket = _service(request).storage.ticket(request.match_info["ticket_id"])
    if ticket is None:
        raise ApiError(404, {"error": "not_found"})
    return web.json_response(ticket)


async def outbox(request: web.Request) -> web.Response:
    address = request.query.get("to")
    if not address:
        raise _bad_request()
    if not is_valid_email(address):
        raise ApiError(400, {"error": "invalid_email"})
    return web.json_response(_service(request).storage.mails_to(normalize_email(address)))


async def forget_conversation(request: web.Request) -> web.Response:
    conversation_id = request.match_info["conversation_id"]
    deleted = _service(request).storage.forget_conversation(conversation_id)
    logger.info("conversation records deleted: %s", deleted)
    return web.json_response({"deleted": deleted})


# -- live handoff -------------------------------------------------------------


def _agent_field(body: dict[str, Any]) -> str:
    agent = body.get("agent")
    name = agent_name(agent) if isinstance(agent, str) else None
    if name is None:
        raise ApiError(400, {"error": "invalid_agent"})
    return name


def _place_answer(place: Place) -> web.Response:
    return web.json_response(
        {
            "status": place.status,
            "position": place.position,
            "wait_minutes": place.wait_minutes,
            "agent": place.agent,
        }
    )


async def request_handoff(request: web.Request) -> web.Response:
    """A place in the live queue, or why there is none (the assistant then opens a ticket)."""
    body = await _json_body(request)
    proven = body.get("proven", False)
    if not isinstance(proven, bool):
        raise _bad_request()
    result = _service(request).desk.request(
        _text_field(body, "conversation_id"),
        _client_field(body),
        _text_field(body, "topic"),
        _text_field(body, "step"),
        proven,
    )
    if isinstance(result, Refusal):
        raise _limited(result)
    return _place_answer(result)


async def leave_handoff(request: web.Request) -> web.Response:
    left = _service(request).desk.leave(request.match_info["conversation_id"])
    return web.json_response({"left": left})


async def handoff_queue(request: web.Request) -> web.Response:
    desk = _service(request).desk
    return web.json_response({"agents_present": desk.agents_present(), "queue": desk.queue()})


async def take_handoff(request: web.Request) -> web.Response:
    agent = _agent_field(await _json_body(request))
    desk = _service(request).desk
    if not desk.take(request.match_info["conversation_id"], agent):
        raise ApiError(409, {"error": "not_waiting"})
    return web.json_response({"agent": agent})


async def end_handoff(request: web.Request) -> web.Response:
    body = await _json_body(request)
    agent = _agent_field(body)
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise _bad_request()
    if not _service(request).desk.end(request.match_info["conversation_id"], agent, outcome):
        raise ApiError(409, {"error": "not_yours"})
    return web.json_response({"outcome": outcome})


async def handoff_holder(request: web.Request) -> web.Response:
    holder = _service(request).desk.holder(request.match_info["conversation_id"])
    return web.json_response({"agent": holder})


async def agent_seen(request: web.Request) -> web.Response:
    _service(request).desk.seen(_agent_field(await _json_body(request)))
    return web.json_response({"ok": True})


async def agent_gone(request: web.Request) -> web.Response:
    _service(request).desk.gone(_agent_field(await _json_body(request)))
    return web.json_response({"ok": True})


# -- factory -----------------------------------------------------------------


def create_app(
    db_path: str | Path,
    api_key: str,
    seed_path: str | Path | None = None,
    clock: Clock = time.time,
    code_generator: Callable[[], str] | None = None,
    public_url: str = DEFAULT_PUBLIC_URL,
    demo_mode: bool = False,
    limits_scale: float = 1.0,
    desk_settings: DeskSettings | None = None,
) -> web.Application:
    """Build the app; the database is opened and seeded only when the app starts. Only in
    `demo_mode` is there an `/outbox`: it shows the mail sent to any address. `limits_scale`:
    see limits.Limits."""
    if not api_key:
        raise ValueError("an API key is required")
    app = web.Application(middlewares=[_error_middleware, _auth_middleware])
    app[API_KEY] = api_key
    storage = Storage(db_path)
    limits = Limits(storage, clock, api_key, limits_scale)
    codes = Codes(storage, clock, limits)
    accounts = Accounts(
        storage, clock, codes, limits, code_generator or random_code, public_url.rstrip("/")
    )
    desk = Desk(storage, clock, limits, desk_settings or DeskSettings())
    app[SERVICE_KEY] = Service(storage, codes, accounts, Tickets(storage, clock, limits), desk)

    async def storage_lifecycle(_app: web.Application) -> AsyncIterator[None]:
        storage.open()
        if seed_path is not None:
            storage.seed(json.loads(Path(seed_path).read_text(encoding="utf-8")), clock())
        try:
            yield
        finally:
            storage.close()

    app.cleanup_ctx.append(storage_lifecycle)
    app.router.add_get("/health", health)
    once = Idempotency(storage, clock, _answer).once
    app.router.add_post("/codes", once(request_code))
    app.router.add_post("/codes/verify", once(verify_code))
    app.router.add_get("/accounts/state", account_state)
    app.router.add_get("/domains/{domain}/sso", domain_sso)
    app.router.add_post("/password-reset", once(password_reset))
    app.router.add_post("/verification-email", once(verification_email))
    app.router.add_post("/tickets", once(create_ticket))
    app.router.add_get("/tickets/{ticket_id}", get_ticket)
    if demo_mode:
        app.router.add_get("/outbox", outbox)
    app.router.add_delete("/conversations/{conversation_id}", forget_conversation)
    app.router.add_post("/handoffs", request_handoff)
    app.router.add_get("/handoffs", handoff_queue)
    app.router.add_delete("/handoffs/{conversation_id}", leave_handoff)
    app.router.add_get("/handoffs/{conversation_id}/agent", handoff_holder)
    app.router.add_post("/handoffs/{conversation_id}/take", take_handoff)
    app.router.add_post("/handoffs/{conversation_id}/end", end_handoff)
    app.router.add_post("/agents/seen", agent_seen)
    app.router.add_post("/agents/gone", agent_gone)
    return app
