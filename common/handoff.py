"""What the parts of a live handoff agree on: how the desk's messages are marked in a
conversation, and how a live chat can end."""

from __future__ import annotations

import re

from common.addresses import mask_addresses_in_text
from common.codes import without_codes

# BotUttered metadata: a message the desk put into the conversation (an agent's, or the
# assistant's when it steps aside or comes back), and the agent who wrote one.
DESK_KEY = "desk"
WRITTEN_BY_KEY = "written_by"
# A support agent's display name, as learners see it in the chat: a letter first, then up
# to 39 letters, digits, spaces, dots, apostrophes or hyphens.
AGENT_NAME = re.compile(r"^[^\W\d_][\w .'-]{0,39}$")
# How an agent ends a live chat, with the label the console shows.
OUTCOMES = {"solved": "Solved", "not_solved": "Not solved"}


def agent_name(text: str) -> str | None:
    """The name with its spaces tidied, or None when it is not a valid agent name."""
    name = " ".join(text.split())
    return name if AGENT_NAME.match(name) else None


def masked(text: str) -> str:
    """Text as support staff read it unproven: addresses (first letter and domain kept) and
    one-time codes hidden."""
    return without_codes(mask_addresses_in_text(text))
