"""Turns reply names from replies.yml into messages for the learner."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import CollectingDispatcher

REPLIES_FILE = Path(__file__).with_name("replies.yml")


@functools.cache
def replies() -> dict[str, Any]:
    """Loads the reply texts once, on first use."""
    with REPLIES_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def render(name: str, **values: Any) -> tuple[str, list[dict[str, str]]]:
    """Returns the text and quick-reply buttons of reply `name` with its placeholders filled."""
    reply = replies()[name]
    buttons = reply.get("buttons") or []
    if buttons == "topics":
        buttons = replies()["topic_menu"]
    return reply["text"].format(**values), list(buttons)


def say(dispatcher: CollectingDispatcher, name: str, **values: Any) -> None:
    """Sends reply `name` to the learner."""
    text, buttons = render(name, **values)
    dispatcher.utter_message(text=text, buttons=buttons or None)
