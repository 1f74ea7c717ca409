"""What the scripted conversations (conftest.py) must give, worked out from their scripts."""

from __future__ import annotations

SUMMARY = {
    "conversations": 10,
    "messages": 27,
    "contained": 8,  # all but the recaptcha ticket and the request for a person
    "containment": 0.8,
    "asked_for_person": 1,
    "ticket_conversations": 2,
    "account_service_tickets": 2,
    "fallback": 1,  # "blorf quux zzz"
    "apology_turns": 0,
    "outage_replies": 0,
}
# (topic, step number): asked, solved, not_solved, switched, person, left, other
STEPS = {
    # login-solved: no; login-left: left; code-verified and code-wrong: typed an address.
    ("login", 1): (4, 0, 1, 0, 0, 1, 2),
    ("login", 2): (1, 1, 0, 0, 0, 0, 0),
    # recaptcha-ticket: no; switch: yes; unclear: words it did not understand.
    ("recaptcha", 1): (3, 1, 1, 0, 0, 0, 1),
    ("recaptcha", 2): (1, 0, 1, 0, 0, 0, 0),
    ("recaptcha", 3): (1, 0, 1, 0, 0, 0, 0),
    ("missing_courses", 1): (1, 0, 0, 1, 0, 0, 0),
    ("account_settings", 1): (1, 0, 0, 0, 1, 0, 0),
}
# topic: started, then conversations reaching steps 1, 2, ...
FUNNEL = {
    "login": (4, 4, 1),
    "recaptcha": (3, 3, 1, 1),
    "missing_courses": (1, 1),
    "account_settings": (1, 1),
}
CODES = {
    "offered": 3,  # code-verified, code-wrong, address
    "accepted": 2,
    "sent": 2,
    "verified": 1,
    "wrong": 1,
    "expired": 0,
    "limited": 0,
    "not_sent": 1,  # low-confidence: a code-like number typed before any code was sent
}
HANDOFFS = {
    ("account_settings", "on request"): 1,
    ("recaptcha", "steps exhausted"): 1,
}
MISUNDERSTOOD = ["blorf quux zzz"]
# The account service's own tickets (its database), by topic and priority.
TICKETS = {("account_settings", "normal"): 1, ("recaptcha", "normal"): 1}
