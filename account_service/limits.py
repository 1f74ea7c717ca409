"""Limits that keep the service from being turned against learners: every figure is here.

Each request that can cause a mail, each code check and each new ticket is stored as an
event keyed by the mailbox (mailbox.py: every spelling of one inbox counts as one), the
conversation and the client (an opaque id of the learner's network, sent by the
assistant). Mailbox and conversation are stored as keyed hashes (HMAC with a key derived
from the service's secret API key), so the table can be matched to neither an address nor a
conversation by hashing candidates. Events live in SQLite for 24 hours and forgetting a
conversation keeps them, so neither a restart nor "forget me" resets a limit. Mail limits
are checked before any account lookup, so a refusal is the same for any address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass

from account_service.mailbox import canonical_mailbox
from account_service.storage import DAY_SECONDS, Clock, Storage

MINUTE = 60
HOUR = 60 * MINUTE

# Calls that carry no client id (rasa shell, scripts) share one bucket.
UNKNOWN_CLIENT = "unknown"

MAIL_KINDS = ("mail:code", "mail:reset", "mail:confirm")
WRONG_CODE = "code:wrong"
RIGHT_CODE = "code:right"
TICKET = "ticket"
HANDOFF = "handoff"


@dataclass(frozen=True)
class Window:
    """At most `limit` events per `scope` key in any rolling `seconds`."""

    limit: int
    seconds: int
    scope: str  # "address", "conversation", "client" or "address_client"


# One budget for every mail the assistant can cause (codes, resets, confirmations).
MAIL_BUDGET = (
    # A burst from many throwaway conversations lands at most 3 mails at once in an inbox.
    Window(3, 15 * MINUTE, "address"),
    # The owner still gets a code and a reset within the hour, nobody gets a flood.
    Window(4, HOUR, "address"),
    # The most any inbox receives from the assistant in a day, however many clients ask.
    Window(6, DAY_SECONDS, "address"),
    # One learner needs a code and a mail or two; more across addresses is spraying.
    Window(3, HOUR, "conversation"),
    # A campus or office behind one network address shares this, so it is generous...
    Window(10, HOUR, "client"),
    # ... and still caps what one network address can send to strangers in a day.
    Window(30, DAY_SECONDS, "client"),
)

# Codes per address counted per client: throwaway conversations elsewhere cannot use up
# the owner's codes (the mail budget above still caps what the inbox receives).
CODE_QUOTA = (Window(3, HOUR, "address_client"),)

# Wrong codes, across codes. A code can only be checked in the conversation that asked for
# it, and each allows 3 tries (codes.py), so guesses at one mailbox are capped by the codes
# mailed to it (6 a day, MAIL_BUDGET): 18 tries at a 6-digit code, a 1 in 55,000 chance a
# day. There is deliberately no wrong-code limit per mailbox: others' guesses would then lock
# the owner out of their own conversation. These stop one conversation or network from
# asking for code after code.
GUESS_LIMITS = (
    # One conversation guessing, at one code after another or at several addresses.
    Window(6, HOUR, "conversation"),
    # Many conversations from one network; a shared campus still gets 12.
    Window(12, HOUR, "client"),
)

# After the n-th wrong code in a row in a conversation, the next check waits
# min(2 ** (n - 1), 60) seconds: no cost to a typo, a real cost to a script.
MAX_GUESS_DELAY_SECONDS = 60

# New support tickets from one network address in a day (a conversation reuses its own).
TICKET_LIMITS = (Window(5, DAY_SECONDS, "client"),)

# Places in the live queue: a conversation has one at a time (desk.py); leaving and asking
# again is capped per conversation, and one network cannot fill the queue.
HANDOFF_LIMITS = (Window(3, HOUR, "conversation"), Window(5, HOUR, "client"))


@dataclass(frozen=True)
class Caller:
    """Who a request counts against."""

    conversation_id: str
    client: str = UNKNOWN_CLIENT
    email: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A request turned down by a limit: the API's `error` and how long to wait."""

    error: str
    retry_after_seconds: int


class Limits:
    """Counts events and turns down what goes over a limit.

    `scale` multiplies the mail budget, the wrong-code and the ticket limits, for a shared
    test or staging system where many people use the same few demo accounts all day (the
    env ACCOUNT_LIMITS_SCALE); production runs 1. The per-code quota is never scaled.
    """

    def __init__(self, storage: Storage, clock: Clock, secret: str, scale: float = 1.0) -> None:
        self._storage = storage
        self._clock = clock
        self._scale = scale
        self._key = hmac.new(secret.encode(), b"limit-event-keys", hashlib.sha256).digest()

    def _hash(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return digest.hexdigest()

    def mailbox_key(self, caller: Caller) -> str | None:
        """The stored key of the caller's mailbox: every spelling of one inbox gives one key."""
        return None if caller.email is None else self._hash(canonical_mailbox(caller.email))

    def conversation_key(self, conversation_id: str) -> str:
        return self._hash(conversation_id)

    def refusal(
        self,
        error: str,
        kinds: Sequence[str],
        windows: Sequence[Window],
        caller: Caller,
        scaled: bool = True,
    ) -> Refusal | None:
        """A refusal until every window has room again for `caller`; None when it has now."""
        now = self._clock()
        longest = 0.0
        for window in windows:
            limit = max(1, int(window.limit * self._scale)) if scaled else window.limit
            times = self._storage.limit_event_times(
                kinds,
                now - window.seconds,
                address=self.mailbox_key(caller) if "address" in window.scope else None,
                conversation_id=(
                    self.conversation_key(caller.conversation_id)
                    if window.scope == "conversation"
                    else None
                ),
                client=caller.client if "client" in window.scope else None,
            )
            if len(times) >= limit:
                frees_at = times[len(times) - limit] + window.seconds
                longest = max(longest, frees_at - now)
        if longest <= 0:
            return None
        return Refusal(error, max(1, math.ceil(longest)))

    def mail_refusal(self, caller: Caller) -> Refusal | None:
        return self.refusal("mail_limit", MAIL_KINDS, MAIL_BUDGET, caller)

    def guess_refusal(self, caller: Caller) -> Refusal | None:
        """The growing pause after wrong codes in a row, then the hourly wrong-code limits."""
        delay = self._guess_delay(caller.conversation_id)
        if delay > 0:
            return Refusal("slow_down", delay)
        return self.refusal("guess_limit", (WRONG_CODE,), GUESS_LIMITS, caller)

    def record(self, kind: str, caller: Caller) -> None:
        self._storage.add_limit_event(
            kind,
            self.mailbox_key(caller),
            self.conversation_key(caller.conversation_id),
            caller.client,
            self._clock(),
        )

    def _guess_delay(self, conversation_id: str) -> int:
        now = self._clock()
        outcomes = self._storage.conversation_events(
            self.conversation_key(conversation_id), (WRONG_CODE, RIGHT_CODE), now - DAY_SECONDS
        )
        run: list[float] = []
        for kind, at in outcomes:
            run = [*run, at] if kind == WRONG_CODE else []
        if not run:
            return 0
        delay = min(2 ** (len(run) - 1), MAX_GUESS_DELAY_SECONDS)
        return max(0, math.ceil(run[-1] + delay - now))
