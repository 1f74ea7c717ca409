"""Scripted learners: complete multi-turn conversations over every article topic.

A script is a list of turns. `{email}` is replaced by the learner's own address and
`{code}` by the newest one-time code in the account service outbox for that address
(read with `GET /outbox?to=`), as a learner would copy it from their mailbox.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

SCRIPTS: dict[str, list[str]] = {
    "login_code": [
        "hi",
        "I can't log into my account",
        "my email is {email}",
        "yes, send the code",
        "{code}",
        "yes",
        "thanks",
        "bye",
    ],
    "login_steps": [
        "hello, I can't sign in",
        "no, still stuck",
        "no",
        "no",
        "no",
        "yes please",
        "thank you",
    ],
    "reset_password": [
        "I forgot my password",
        "no",
        "no thanks",
        "thanks a lot",
    ],
    "account_not_found": [
        "it says we couldn't find an account associated with that email address",
        "no",
        "no, still stuck",
        "yes that worked",
        "bye",
    ],
    "recaptcha": [
        "the image selection thing after login never finishes",
        "no",
        "yes, open a ticket",
        "thanks",
    ],
    "verification_code": [
        "I never got the verification email",
        "no, still stuck",
        "it's {email}",
        "yes",
        "thanks",
    ],
    "email_change": [
        "I got an email saying my address was changed but it wasn't me",
        "thanks",
        "bye",
    ],
    "missing_courses_code": [
        "my courses disappeared from my account",
        "I use {email}",
        "yes",
        "{code}",
        "no",
        "yes",
        "thank you",
    ],
    "settings": [
        "how do I change the name on my account?",
        "yes",
        "thanks, bye",
    ],
    "sso": [
        "I sign in through my university",
        "my school email is david.kim@stateuniversity.edu",
        "thanks",
    ],
    "duplicate": [
        "I think I have two accounts",
        "my email is {email}",
        "yes, send the code",
        "{code}",
        "no",
        "no",
        "yes, open a ticket",
        "bye",
    ],
    "handoff": [
        "can I talk to a real person please",
        "thanks",
        "bye",
    ],
    "small_talk": [
        "hey",
        "are you a bot?",
        "what's the weather in Paris tomorrow?",
        "ok never mind, bye",
    ],
    "typo_domain": [
        "I can't log in, I use {typo_email}",
        "yes, I meant gmail",
        "no, just show me the steps",
        "yes it worked",
        "thanks",
    ],
}

# Addresses the seeded personas use; each can get 3 codes an hour per account service.
PERSONAS = [
    "ana.silva@example.com",
    "ben.okafor@gmail.com",
    "chloe.martin@outlook.com",
    "emma.jones@yahoo.com",
    "grace.lee@example.com",
]
CODES_PER_PERSONA = 3


@dataclass
class Learner:
    number: int
    script_name: str
    turns: list[str]
    email: str
    sender: str
    typo_email: str

    def render(self, turn: str) -> str:
        return turn.replace("{email}", self.email).replace("{typo_email}", self.typo_email)


class LearnerFactory:
    """Hands out learners round-robin over the scripts, each with its own sender and address.

    Most learners get a made-up address (`learner-<n>@example.com`); every 7th one that
    asks for a code uses a persona while that persona has codes left for this run.
    """

    def __init__(self, run_id: str, persona_every: int = 7, address_tag: str = "") -> None:
        self.run_id = run_id
        self.address_tag = address_tag
        self.persona_every = persona_every
        self._numbers = itertools.count(1)
        self._scripts = itertools.cycle(SCRIPTS.items())
        self._persona_codes = {address: 0 for address in PERSONAS}
        self._busy: set[str] = set()  # a persona talks in one conversation at a time
        self._lock = threading.Lock()

    def next(self) -> Learner:
        with self._lock:
            number = next(self._numbers)
            name, turns = next(self._scripts)
            email = f"learner-{self.address_tag}{number}@example.com"
            wants_code = any("{code}" in turn for turn in turns)
            if wants_code and number % self.persona_every == 0:
                free = [
                    address
                    for address, used in self._persona_codes.items()
                    if used < CODES_PER_PERSONA and address not in self._busy
                ]
                if free:
                    email = min(free, key=lambda address: self._persona_codes[address])
                    self._persona_codes[email] += 1
                    self._busy.add(email)
        sender = f"bench-{self.run_id}-{number}"
        typo_email = f"learner-{self.address_tag}{number}@gmial.com"
        return Learner(number, name, list(turns), email, sender, typo_email)

    def done(self, learner: Learner) -> None:
        with self._lock:
            self._busy.discard(learner.email)
