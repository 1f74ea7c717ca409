"""Writes docs/transcripts.md: one real conversation per article section, recorded from a
freshly started stack over the REST channel (so the transcripts are always current)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from stack.learner import RestLearner, widget_payload
from stack.processes import ROOT, StackConfig, running

CODE = "<code from the outbox>"

# (section title, learner messages); CODE stands for the code just emailed to `address`.
CONVERSATIONS: list[tuple[str, str | None, list[str]]] = [
    (
        "I can't log in",
        "ben.okafor@gmail.com",
        [
            "hi",
            "I can't log in to my account",
            "no, the address is right",
            "my email is ben.okafor@gmail.com",
            "yes, send it",
            CODE,
            "yes, that worked",
        ],
    ),
    (
        '"We couldn\'t find an account associated with that email address"',
        None,
        [
            "it says we couldn't find an account associated with that email address",
            "no",
            "frank.muller@gmail.com",
            "yes! the gmial one was it",
        ],
    ),
    (
        "reCAPTCHA image selection",
        None,
        [
            "after I log in it keeps asking me to pick traffic lights, forever",
            "no",
            "yes, thanks",
        ],
    ),
    (
        "I can't verify my email",
        None,
        [
            "i never got the email to confirm my account",
            "not in spam either",
            "chloe.martin@outlook.com",
            "yes, it came",
        ],
    ),
    (
        "My email was changed and I didn't do it",
        "grace.lee@example.com",
        ["I can't log in", "grace.lee@example.com", "yes", CODE, "no, that wasn't me", "yes"],
    ),
    (
        "Missing courses",
        "emma.jones@yahoo.com",
        [
            "my course disappeared from my dashboard",
            "no, it's in neither tab",
            "emma.jones@yahoo.com",
            "ok",
            CODE,
            "yes, that's the one",
        ],
    ),
    (
        "Change name, email or password",
        None,
        ["how do I change my name on my account", "yes, found it", "bye"],
    ),
    (
        "SSO through an employer or university",
        None,
        [
            "my university said to log in with single sign-on",
            "david.kim@stateuniversity.edu",
            "yes",
        ],
    ),
    (
        'Off the script: a side question, "how?", a yes taken back, start over',
        None,
        [
            "I can't log in",
            "wait, am I talking to a bot?",
            "nope, same as before",
            "how do I do that?",
            "ok that worked, thanks",
            "no wait, it's still broken",
            "let's start over",
        ],
    ),
    (
        "A person, and an unclear message",
        None,
        ["my thing is broken", "/out_of_scope", "nothing works, can I talk to a real person"],
    ),
]


def record(chat: RestLearner, address: str | None, messages: list[str]) -> list[str]:
    lines = []
    for message in messages:
        shown = message
        if message == CODE:
            assert address is not None
            message = chat.latest_code(address)
            shown = f"{message}  _(the code from the demo outbox)_"
        lines.append(f"> **Learner:** {shown}  ")
        for reply in chat.replies_to(message):
            if widget_payload(reply):
                continue
            text = (reply.get("text") or "").replace("\n", "  \n> ")
            buttons = " ".join(f"`[{b['title']}]`" for b in reply.get("buttons") or [])
            lines.append(f"> **Assistant:** {text} {buttons}".rstrip() + "  ")
        lines.append(">")
    return lines[:-1]


def main() -> None:
    output = ROOT / "docs" / "transcripts.md"
    with (
        tempfile.TemporaryDirectory() as var_dir,
        running(StackConfig.on_free_ports(Path(var_dir), log_dir=Path(var_dir) / "logs")) as stack,
    ):
        sections = [
            "# Demo transcripts",
            "",
            "Recorded from the running assistant by `make transcripts`.",
            "",
        ]
        for title, address, messages in CONVERSATIONS:
            transcript = record(RestLearner(stack.config), address, messages)
            sections += [f"## {title}", "", *transcript, ""]
    output.write_text("\n".join(sections))
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
