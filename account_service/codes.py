"""The one-time-code rules: how many an address may get, how long they and the
tokens they buy live, how many tries a code allows, and that only hashes are kept."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from account_service.storage import Clock, Storage
from common.codes import CODE_LENGTH, submitted_digits

CODE_TTL_SECONDS = 10 * 60
MAX_CODE_ATTEMPTS = 3
MAX_CODES_PER_WINDOW = 3
CODE_WINDOW_SECONDS = 60 * 60
TOKEN_TTL_SECONDS = 30 * 60


@dataclass(frozen=True)
class CodeIssue:
    """Outcome of asking for a code; ``retry_after_seconds`` is set only when refused."""

    allowed: bool
    retry_after_seconds: int = 0


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

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock

    def issue(self, email: str, conversation_id: str, code: str) -> CodeIssue:
        """Store a new code unless the address already had its quota this hour."""
        now = self._clock()
        recent = self._storage.code_times_since(email, now - CODE_WINDOW_SECONDS)
        if len(recent) >= MAX_CODES_PER_WINDOW:
            wait = max(1, math.ceil(recent[0] + CODE_WINDOW_SECONDS - now))
            return CodeIssue(allowed=False, retry_after_seconds=wait)
        salt = secrets.token_hex(16)
        # A new code replaces the earlier one for this conversation.
        self._storage.replace_code(
            email, conversation_id, salt, _hash_code(salt, code), now, now + CODE_TTL_SECONDS
        )
        return CodeIssue(allowed=True)

    def check(self, email: str, conversation_id: str, submitted: str) -> CodeCheck:
        """Check the newest code of this conversation; success yields a fresh token."""
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
            attempts = row.attempts + 1
            dead = attempts >= MAX_CODE_ATTEMPTS
            self._storage.count_wrong_attempt(row.id, attempts, dead)
            if dead:
                return CodeCheck(status="too_many_attempts")
            return CodeCheck(status="wrong_code", attempts_left=MAX_CODE_ATTEMPTS - attempts)
        token = secrets.token_urlsafe(32)
        self._storage.use_code(
            row.id, _hash_token(token), email, conversation_id, now, now + TOKEN_TTL_SECONDS
        )
        return CodeCheck(status="verified", token=token)

    def token_email(self, token: str) -> str | None:
        """The address a still-valid token was issued for, else None."""
        found = self._storage.token(_hash_token(token))
        if found is None:
            return None
        email, expires_at = found
        return None if self._clock() >= expires_at else email
