"""The only way the assistant's actions reach the account service.

Every failure that is not a documented answer (network error, timeout, 5xx,
unexpected body) becomes ``AccountServiceUnavailable``, so actions need one
``except`` to fall back to a human hand-off instead of crashing mid-dialogue.
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
    "InvalidEmail",
    "MissingApiKey",
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
    status: str  # "sent" | "too_many_codes" | "invalid_email"
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class CodeCheckResult:
    status: str  # "verified" | "wrong_code" | "expired" | "too_many_attempts" | ...
    token: str | None = None
    attempts_left: int | None = None


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
    ) -> tuple[int, Any]:
        """Send one request; return status and decoded JSON, or raise Unavailable."""
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

    async def _accepted(self, path: str, body: Mapping[str, Any]) -> None:
        status, data = await self._call("POST", path, json=body)
        if status == 400 and _error_of(data) == "invalid_email":
            raise InvalidEmail("The address is not well formed.")
        if status != 202:
            raise _unexpected()

    # -- public API ----------------------------------------------------------

    async def request_code(self, email: str, conversation_id: str) -> CodeRequestResult:
        status, data = await self._call(
            "POST", "/codes", json={"email": email, "conversation_id": conversation_id}
        )
        if status == 202 and isinstance(data, dict) and data.get("status") == "sent":
            return CodeRequestResult(status="sent")
        if status == 429 and _error_of(data) == "too_many_codes":
            return CodeRequestResult(
                status="too_many_codes",
                retry_after_seconds=_get(data, "retry_after_seconds", int),
            )
        if status == 400 and _error_of(data) == "invalid_email":
            return CodeRequestResult(status="invalid_email")
        raise _unexpected()

    async def verify_code(self, email: str, code: str, conversation_id: str) -> CodeCheckResult:
        status, data = await self._call(
            "POST",
            "/codes/verify",
            json={"email": email, "code": code, "conversation_id": conversation_id},
        )
        if status == 400 and _error_of(data) == "invalid_email":
            return CodeCheckResult(status="invalid_email")
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

    async def account_state(self, token: str) -> AccountState | None:
        status, data = await self._call(
            "GET", "/accounts/state", headers={"X-Verification-Token": token}
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

    async def send_password_reset(self, email: str, conversation_id: str) -> None:
        await self._accepted(
            "/password-reset", {"email": email, "conversation_id": conversation_id}
        )

    async def send_verification_email(self, email: str, conversation_id: str) -> None:
        await self._accepted(
            "/verification-email", {"email": email, "conversation_id": conversation_id}
        )

    async def create_ticket(
        self,
        conversation_id: str,
        topic: str,
        priority: str,
        transcript: Sequence[Mapping[str, str]],
        email: str | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "conversation_id": conversation_id,
            "topic": topic,
            "priority": priority,
            "transcript": [{"sender": turn["sender"], "text": turn["text"]} for turn in transcript],
        }
        if email is not None:
            body["email"] = email
        status, data = await self._call("POST", "/tickets", json=body)
        if status == 400 and _error_of(data) == "invalid_email":
            raise InvalidEmail("The address is not well formed.")
        if status != 201:
            raise _unexpected()
        return str(_get(_as_dict(data), "ticket_id", str))

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


_shared: AccountClient | None = None


def get_client() -> AccountClient:
    """The process-wide client, built from the environment on first use."""
    global _shared
    if _shared is None:
        _shared = AccountClient.from_env()
    return _shared
