"""The only way the assistant's actions reach the account service.

Every failure that is not a documented answer (network error, timeout, 5xx,
unexpected body) becomes ``AccountServiceUnavailable``, so actions need one
``except`` to fall back to a human hand-off instead of crashing mid-dialogue.

Calls name the conversation and, when the channel knows it, the learner's client id; the
service counts its limits by them. A limit's 429 answer comes back as a typed result.

The calls that change something take an optional `idempotency_key`: the service performs a
call once per key and answers a repeat with the first answer, so a turn handled again after
a crash sends no second mail or ticket.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

__all__ = [
    "AccountClient",
    "AccountServiceUnavailable",
    "AccountState",
    "CodeCheckResult",
    "CodeRequestResult",
    "Duplicate",
    "EmailChange",
    "Enrolment",
    "HandoffPlace",
    "InvalidEmail",
    "MailRequestResult",
    "MissingApiKey",
    "TicketResult",
    "get_client",
]

DEFAULT_URL = "http://localhost:8001"
DEFAULT_TIMEOUT = 3.0

_CODE_STATUSES = frozenset({"verified", "wrong_code", "expired", "too_many_attempts", "no_code"})


class AccountServiceUnavailable(Exception):
    """The service could not give a usable answer; the message holds no internals."""

    def __init__(self, message: str = "The account service is unavailable.") -> None:
        super().__init__(message)


class MissingApiKey(RuntimeError):
    """ACCOUNT_SERVICE_API_KEY is unset: a setup error, not an outage to hand off on."""

    def __init__(self) -> None:
        super().__init__(
            "ACCOUNT_SERVICE_API_KEY is not set: the account service key has no default. "
            "`make run` sets it from var/secrets.env; otherwise set it in the environment."
        )


class InvalidEmail(ValueError):
    """The service rejected the address as malformed (checked before any lookup)."""


@dataclass(frozen=True)
class CodeRequestResult:
    status: str  # "sent" | "too_many_codes" | "mail_limit" | "invalid_email"
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class CodeCheckResult:
    status: str  # "verified" | "wrong_code" | "expired" | ... | "slow_down" | "guess_limit"
    token: str | None = None
    attempts_left: int | None = None
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class MailRequestResult:
    status: str  # "accepted" | "mail_limit"
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class TicketResult:
    status: str  # "opened" | "added" (to the conversation's ticket) | "ticket_limit"
    ticket_id: str | None = None
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class HandoffPlace:
    # "waiting" | "taken" | "closed" | "no_agent" | "queue_full" | "handoff_limit"
    status: str
    position: int = 0
    wait_minutes: int = 0
    agent: str | None = None


@dataclass(frozen=True)
class Enrolment:
    course: str
    status: str  # "in_progress" | "completed"


@dataclass(frozen=True)
class EmailChange:
    new_email_masked: str
    days_ago: int
    by_owner: bool


@dataclass(frozen=True)
class Duplicate:
    email_masked: str
    created_with: str
    enrolments: list[Enrolment] = field(default_factory=list)


@dataclass(frozen=True)
class AccountState:
    email: str
    exists: bool
    sign_in_methods: list[str]
    email_verified: bool
    sso_organization: str | None
    recent_email_change: EmailChange | None
    enrolments: list[Enrolment]
    likely_duplicates: list[Duplicate]


# -- strict parsing: anything off-contract means the service is not usable ----


def _unexpected() -> AccountServiceUnavailable:
    return AccountServiceUnavailable("The account service gave an unexpected answer.")


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    # bool is an int subclass; never accept it where a number is expected.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise _unexpected()
    return value


def _optional(data: Mapping[str, Any], key: str, kind: type) -> Any:
    return None if data.get(key) is None else _get(data, key, kind)


def _as_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _unexpected()
    return value


def _enrolments(value: Any) -> list[Enrolment]:
    if not isinstance(value, list):
        raise _unexpected()
    result = []
    for item in value:
        item = _as_dict(item)
        result.append(Enrolment(course=_get(item, "course", str), status=_get(item, "status", str)))
    return result


def _parse_state(data: dict[str, Any]) -> AccountState:
    methods = _get(data, "sign_in_methods", list)
    if not all(isinstance(method, str) for method in methods):
        raise _unexpected()
    change_data = data.get("recent_email_change")
    change = None
    if change_data is not None:
        change_data = _as_dict(change_data)
        change = EmailChange(
            new_email_masked=_get(change_data, "new_email_masked", str),
            days_ago=_get(change_data, "days_ago", int),
            by_owner=_get(change_data, "by_owner", bool),
        )
    duplicates_data = _get(data, "likely_duplicates", list)
    duplicates = []
    for item in duplicates_data:
        item = _as_dict(item)
        duplicates.append(
            Duplicate(
                email_masked=_get(item, "email_masked", str),
                created_with=_get(item, "created_with", str),
                enrolments=_enrolments(item.get("enrolments", [])),
            )
        )
    return AccountState(
        email=_get(data, "email", str),
        exists=_get(data, "exists", bool),
        sign_in_methods=list(methods),
        email_verified=_get(data, "email_verified", bool),
        sso_organization=_optional(data, "sso_organization", str),
        recent_email_change=change,
        enrolments=_enrolments(data.get("enrolments")),
        likely_duplicates=duplicates,
    )


def _error_of(data: Any) -> str | None:
    return data.get("error") if isinstance(data, dict) else None


def _limit(status: int, data: Any, errors: tuple[str, ...]) -> tuple[str, int] | None:
    """A documented 429 answer: the limit's name and the seconds to wait; else None."""
    error = _error_of(data)
    if status != 429 or error not in errors:
        return None
    return str(error), _get(data, "retry_after_seconds", int)


def _who(conversation_id: str, client: str | None) -> dict[str, str]:
    """The fields the service counts its limits by; no client id goes in the shared bucket."""
    return {"conversation_id": conversation_id, **({"client": client} if client else {})}


class AccountClient:
    """Typed async calls to the account service over one shared HTTP session."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> AccountClient:
        """Configuration comes only from the environment so deployments need no code change;
        there is no default key, so a missing one is reported instead of sent wrong."""
        api_key = environ.get("ACCOUNT_SERVICE_API_KEY", "")
        if not api_key:
            raise MissingApiKey()
        try:
            timeout = float(environ.get("ACCOUNT_SERVICE_TIMEOUT", DEFAULT_TIMEOUT))
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        return cls(
            base_url=environ.get("ACCOUNT_SERVICE_URL", DEFAULT_URL),
            api_key=api_key,
            timeout=timeout,
        )

    def _get_session(self) -> aiohttp.ClientSession:
        """Create the session lazily, and anew if the loop it was bound to is gone."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or self._session_loop is not loop:
            if session is not None and not session.closed:
                self._discard(session, self._session_loop)
            session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"X-API-Key": self._api_key}
            )
            self._session = session
            self._session_loop = loop
        return session

    @staticmethod
    def _discard(
        session: aiohttp.ClientSession, old_loop: asyncio.AbstractEventLoop | None
    ) -> None:
        """Drop a session made on another loop; it cannot be awaited from this one."""
        connector = session.connector
        session.detach()
        if connector is None:
            return
        if old_loop is not None and old_loop.is_running():
            old_loop.call_soon_threadsafe(connector._close)
        else:
            connector._close()

    async def close(self) -> None:
        session, self._session = self._session, None
        old_loop, self._session_loop = self._session_loop, None
        if session is None or session.closed:
            return
        if old_loop is asyncio.get_running_loop():
            await session.close()
        else:
            self._discard(session, old_loop)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]:
        """Send one request; return status and decoded JSON, or raise Unavailable."""
        if idempotency_key is not None:
            headers = {**(headers or {}), "Idempotency-Key": idempotency_key}
        try:
            session = self._get_session()
            async with session.request(
                method, self.base_url + path, json=json, params=params, headers=headers
            ) as response:
                if response.status >= 500:
                    raise AccountServiceUnavailable()
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    raise _unexpected() from None
                return response.status, data
        except AccountServiceUnavailable:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, UnicodeDecodeError):
            raise AccountServiceUnavailable() from None

    async def _mail(
        self,
        path: str,
        email: str,
        conversation_id: str,
        client: str | None,
        idempotency_key: str | None,
    ) -> MailRequestResult:
        status, data = await self._call(
            "POST",
            path,
            json={"email": email, **_who(conversation_id, client)},
            idempotency_key=idempotency_key,
        )
        if status == 400 and _error_of(data) == "invalid_email":
            raise InvalidEmail("The address is not well formed.")
        limited = _limit(status, data, ("mail_limit",))
        if limited:
            return MailRequestResult(status=limited[0], retry_after_seconds=limited[1])
        if status != 202:
            raise _unexpected()
        return MailRequestResult(status="accepted")

    # -- public API ----------------------------------------------------------

    async def request_code(
        self,
        email: str,
        conversation_id: str,
        client: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> CodeRequestResult:
        status, data = await self._call(
            "POST",
            "/codes",
            json={"email": email, **_who(conversation_id, client)},
            idempotency_key=idempotency_key,
        )
        if status == 202 and isinstance(data, dict) and data.get("status") == "sent":
            return CodeRequestResult(status="sent")
        limited = _limit(status, data, ("too_many_codes", "mail_limit"))
        if limited:
            return CodeRequestResult(status=limited[0], retry_after_seconds=limited[1])
        if status == 400 and _error_of(data) == "invalid_email":
            return CodeRequestResult(status="invalid_email")
        raise _unexpected()

    async def verify_code(
        self,
        email: str,
        code: str,
        conversation_id: str,
        client: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> CodeCheckResult:
        status, data = await self._call(
            "POST",
            "/codes/verify",
            json={"email": email, "code": code, **_who(conversation_id, client)},
            idempotency_key=idempotency_key,
        )
        if status == 400 and _error_of(data) == "invalid_email":
            return CodeCheckResult(status="invalid_email")
        limited = _limit(status, data, ("slow_down", "guess_limit"))
        if limited:
            return CodeCheckResult(status=limited[0], retry_after_seconds=limited[1])
        if status != 200:
            raise _unexpected()
        data = _as_dict(data)
        result = data.get("status")
        if result not in _CODE_STATUSES:
            raise _unexpected()
        if result == "verified":
            return CodeCheckResult(status=result, token=_get(data, "token", str))
        if result == "wrong_code":
            return CodeCheckResult(status=result, attempts_left=_get(data, "attempts_left", int))
        return CodeCheckResult(status=result)

    async def account_state(self, token: str, conversation_id: str) -> AccountState | None:
        """The proven account's facts; None when the token is unknown, expired or was
        earned in another conversation."""
        status, data = await self._call(
            "GET",
            "/accounts/state",
            headers={"X-Verification-Token": token, "X-Conversation-Id": conversation_id},
        )
        if status == 401 and _error_of(data) == "invalid_token":
            return None
        if status != 200:
            raise _unexpected()
        return _parse_state(_as_dict(data))

    async def sso_organization(self, domain: str) -> str | None:
        """Name of the organization whose sign-in is required for this domain, if any."""
        domain = domain.strip().lower().rpartition("@")[2]
        if not domain:
            return None
        status, data = await self._call("GET", f"/domains/{quote(domain, safe='')}/sso")
        if status == 400 and _error_of(data) == "invalid_domain":
            return None
        if status != 200:
            raise _unexpected()
        data = _as_dict(data)
        organization = _optional(data, "organization", str)
        return organization if _get(data, "sso_required", bool) else None

    async def send_password_reset(
        self,
        email: str,
        conversation_id: str,
        client: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> MailRequestResult:
        return await self._mail("/password-reset", email, conversation_id, client, idempotency_key)

    async def send_verification_email(
        self,
        email: str,
        conversation_id: str,
        client: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> MailRequestResult:
        return await self._mail(
            "/verification-email", email, conversation_id, client, idempotency_key
        )

    async def create_ticket(
        self,
        conversation_id: str,
        topic: str,
        priority: str,
        transcript: Sequence[Mapping[str, str]],
        email: str | None = None,
        client: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TicketResult:
        """Opens the conversation's ticket, or adds this request to the one it has."""
        body: dict[str, Any] = {
            **_who(conversation_id, client),
            "topic": topic,
            "priority": priority,
            "transcript": [{"sender": turn["sender"], "text": turn["text"]} for turn in transcript],
        }
        if email is not None:
            body["email"] = email
        status, data = await self._call(
            "POST", "/tickets", json=body, idempotency_key=idempotency_key
        )
        limited = _limit(status, data, ("ticket_limit",))
        if limited:
            return TicketResult(status=limited[0], retry_after_seconds=limited[1])
        if status not in (200, 201):
            raise _unexpected()
        data = _as_dict(data)
        added = _get(data, "added_to_existing", bool)
        return TicketResult(
            status="added" if added else "opened", ticket_id=_get(data, "ticket_id", str)
        )

    async def outbox(self, address: str) -> list[dict[str, Any]]:
        status, data = await self._call("GET", "/outbox", params={"to": address})
        if status == 400 and _error_of(data) == "invalid_email":
            raise InvalidEmail("The address is not well formed.")
        if status != 200 or not isinstance(data, list):
            raise _unexpected()
        return [_as_dict(item) for item in data]

    async def forget_conversation(self, conversation_id: str) -> dict[str, int]:
        status, data = await self._call(
            "DELETE", f"/conversations/{quote(conversation_id, safe='')}"
        )
        if status != 200:
            raise _unexpected()
        deleted = _as_dict(_as_dict(data).get("deleted"))
        return {key: _get(deleted, key, int) for key in deleted}

    # -- live handoff ---------------------------------------------------------

    async def request_handoff(
        self, conversation_id: str, topic: str, step: str, proven: bool, client: str | None
    ) -> HandoffPlace:
        """A place in the support desk's live queue, or why there is none."""
        body = {**_who(conversation_id, client), "topic": topic, "step": step, "proven": proven}
        status, data = await self._call("POST", "/handoffs", json=body)
        if _limit(status, data, ("handoff_limit",)):
            return HandoffPlace(status="handoff_limit")
        if status != 200:
            raise _unexpected()
        data = _as_dict(data)
        return HandoffPlace(
            status=_get(data, "status", str),
            position=_get(data, "position", int),
            wait_minutes=_get(data, "wait_minutes", int),
            agent=_optional(data, "agent", str),
        )

    async def leave_handoff(self, conversation_id: str) -> bool:
        """True when the conversation was waiting and has left the queue."""
        status, data = await self._call("DELETE", _handoff_path(conversation_id))
        if status != 200:
            raise _unexpected()
        return _get(_as_dict(data), "left", bool)

    async def handoff_queue(self) -> tuple[int, list[dict[str, Any]]]:
        """Agents present, and the conversations waiting or taken, oldest first."""
        status, data = await self._call("GET", "/handoffs")
        data = _as_dict(data)
        queue = data.get("queue")
        if status != 200 or not isinstance(queue, list):
            raise _unexpected()
        return _get(data, "agents_present", int), [_as_dict(item) for item in queue]

    async def take_handoff(self, conversation_id: str, agent: str) -> bool:
        """True when it was waiting and is now this agent's; False when it was not waiting."""
        path = _handoff_path(conversation_id) + "/take"
        status, _ = await self._call("POST", path, json={"agent": agent})
        if status not in (200, 409):
            raise _unexpected()
        return status == 200

    async def end_handoff(self, conversation_id: str, agent: str, outcome: str) -> bool:
        """True when the agent had it; the outcome goes onto the conversation's ticket."""
        path = _handoff_path(conversation_id) + "/end"
        status, _ = await self._call("POST", path, json={"agent": agent, "outcome": outcome})
        if status not in (200, 409):
            raise _unexpected()
        return status == 200

    async def handoff_holder(self, conversation_id: str) -> str | None:
        status, data = await self._call("GET", _handoff_path(conversation_id) + "/agent")
        if status != 200:
            raise _unexpected()
        return _optional(_as_dict(data), "agent", str)

    async def agent_seen(self, agent: str, present: bool = True) -> None:
        """The agent's console is open (or, with `present` False, signed out)."""
        path = "/agents/seen" if present else "/agents/gone"
        status, _ = await self._call("POST", path, json={"agent": agent})
        if status != 200:
            raise _unexpected()


def _handoff_path(conversation_id: str) -> str:
    return f"/handoffs/{quote(conversation_id, safe='')}"


_shared: AccountClient | None = None


def get_client() -> AccountClient:
    """The process-wide client, built from the environment on first use."""
    global _shared
    if _shared is None:
        _shared = AccountClient.from_env()
    return _shared
