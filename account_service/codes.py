"""The one-time-code rules: how many an address may get, how long they and the
tokens they buy live, how many tries a code allows, and that only hashes are kept.

The limits across codes (quota, wrong codes per address, conversation and client) are in
limits.py."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from account_service.limits import (
    CODE_QUOTA,
    RIGHT_CODE,
    WRONG_CODE,
    Caller,
    Limits,
    Refusal,
)
from account_service.storage import Clock, Storage
from common.codes import CODE_LENGTH, submitted_digits
from common.constant_time import same_secret

CODE_TTL_SECONDS = 10 * 60
MAX_CODE_ATTEMPTS = 3
TOKEN_TTL_SECONDS = 30 * 60


@dataclass(frozen=True)
class CodeCheck:
    """Outcome of checking a code, mirroring the API's ``status`` values."""

    status: str
    token: str | None = None
    attempts_left: int | None = None


def random_code() -> str:
    """A fresh code, every value equally likely."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def _hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Codes:
    """Issues and checks codes and tokens against the clock it is given."""

    def __init__(self, storage: Storage, clock: Clock, limits: Limits) -> None:
        self._storage = storage
        self._clock = clock
        self._limits = limits

    def quota_refusal(self, caller: Caller) -> Refusal | None:
        """Refused once the address had its codes this hour from this client."""
        return self._limits.refusal(
            "too_many_codes", ("mail:code",), CODE_QUOTA, caller, scaled=False
        )

    def issue(self, email: str, conversation_id: str, code: str) -> None:
        """Store a new code; it replaces the earlier one of this conversation."""
        now = self._clock()
        salt = secrets.token_hex(16)
        self._storage.replace_code(
            email, conversation_id, salt, _hash_code(salt, code), now, now + CODE_TTL_SECONDS
        )

    def check(
        self, email: str, conversation_id: str, client: str, submitted: str
    ) -> CodeCheck | Refusal:
        """Check the newest code of this conversation; success yields a fresh token.

        The limits come first, so a refused check says nothing about the code.
        """
        caller = Caller(conversation_id, client, email)
        refusal = self._limits.guess_refusal(caller)
        if refusal is not None:
            return refusal
        code = submitted_digits(submitted)
        now = self._clock()
        row = self._storage.latest_code(email, conversation_id)
        if row is None or row.state in ("used", "superseded"):
            return CodeCheck(status="no_code")
        if row.state == "dead" or row.attempts >= MAX_CODE_ATTEMPTS:
            return CodeCheck(status="too_many_attempts")
        if now >= row.expires_at:
            return CodeCheck(status="expired")
        if not hmac.compare_digest(_hash_code(row.salt, code), row.code_hash):
            self._limits.record(WRONG_CODE, caller)
            attempts = row.attempts + 1
            dead = attempts >= MAX_CODE_ATTEMPTS
            self._storage.count_wrong_attempt(row.id, attempts, dead)
            if dead:
                return CodeCheck(status="too_many_attempts")
            return CodeCheck(status="wrong_code", attempts_left=MAX_CODE_ATTEMPTS - attempts)
        self._limits.record(RIGHT_CODE, caller)
        token = secrets.token_urlsafe(32)
        self._storage.use_code(
            row.id, _hash_token(token), email, conversation_id, now, now + TOKEN_TTL_SECONDS
        )
        return CodeCheck(status="verified", token=token)

    def token_email(self, token: str, conversation_id: str) -> str | None:
        """The address a still-valid token was issued for, if this conversation earned it."""
        found = self._storage.token(_hash_token(token))
        if found is None:
            return None
        email, owner, expires_at = found
        if not same_secret(owner, conversation_id):
            return None
        return None if self._clock() >= expires_at else email
