"""Property-based: whatever a learner types (any characters, any length, any JSON a client
sends as the message), the guard either answers it itself with one of its fixed replies or
hands Rasa plain text; a slash command reaches Rasa as a bare known intent, so no slot or
entity can be set from typed text."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rasa_addons.channels.guard import (
    EMPTY_REPLY,
    MAX_MESSAGE_CHARS,
    NO_WORDS_REPLY,
    TOO_LONG_REPLY,
    screen,
)

KNOWN_INTENTS = frozenset({"greet", "affirm", "deny", "inform", "request_human"})
GUARD_REPLIES = {EMPTY_REPLY, NO_WORDS_REPLY, TOO_LONG_REPLY}
BARE_COMMAND = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]*$")

characters = st.characters(exclude_categories=["Cs"])
# Typed text, slash commands with entity JSON after them, and other JSON types a client
# can put in the message field.
messages = (
    st.text(characters, max_size=3 * MAX_MESSAGE_CHARS // 2)
    | st.builds(
        lambda intent, rest: f"/{intent}{rest}",
        st.sampled_from(sorted(KNOWN_INTENTS) + ["unknown_intent", ""]),
        st.text(characters, max_size=200) | st.just('{"verified_email": "x@attacker.example"}'),
    )
    # Commands behind slashes, spaces and control characters, as typed to walk around the
    # check ("/ /inform{...}" once reached Rasa as a command).
    | st.builds(
        lambda lead, intent, rest: f"{lead}/{intent}{rest}",
        st.text(st.sampled_from("/ \t\n\x00\x1f\u200b"), max_size=6),
        st.sampled_from(sorted(KNOWN_INTENTS)),
        st.sampled_from(["", "@0.01", '{"verified_email": "x@attacker.example"}', "@1{}"]),
    )
    | st.none()
    | st.integers()
    | st.lists(st.text(max_size=10), max_size=3)
    | st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
)


@settings(max_examples=500, deadline=None)
@given(raw=messages)
@example('/ /inform{"verified_email": "x@attacker.example"}')
@example("/ /affirm@0.01")
@example("// /\t/deny@1")
@example('/\x00/inform{"email": "x@attacker.example"}')
def test_the_guard_answers_or_passes_plain_text(raw: Any) -> None:
    screened = screen(raw, KNOWN_INTENTS)
    assert (screened.text is None) != (screened.reply is None)
    if screened.reply is not None:
        assert screened.reply in GUARD_REPLIES
        return
    text = screened.text
    assert text and len(text) <= MAX_MESSAGE_CHARS and text == text.strip()
    assert not any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text), (
        "control characters reach Rasa"
    )
    if text.startswith("/"):
        # Only a bare, known intent: nothing after it that Rasa would read as entities.
        assert BARE_COMMAND.match(text) and text[1:] in KNOWN_INTENTS, text


@settings(max_examples=200, deadline=None)
@given(intent=st.sampled_from(sorted(KNOWN_INTENTS)), entities=st.text(characters, max_size=100))
def test_a_button_command_with_entities_keeps_only_the_intent(intent: str, entities: str) -> None:
    screened = screen(f'/{intent}{{"email": "a@b.co"}}{entities}', KNOWN_INTENTS)
    text = screened.text
    assert text == f"/{intent}" or (text is not None and not text.startswith("/")), text
