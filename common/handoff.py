"""What the parts of a live handoff agree on: how the desk's messages are marked in a
conversation, and how a live chat can end."""

from __future__ import annotations

# BotUttered metadata: a message the desk put into the conversation (an agent's, or the
# assistant's when it steps aside or comes back), and the agent who wrote one.
DESK_KEY = "desk"
WRITTEN_BY_KEY = "written_by"
# How an agent ends a live chat, with the label the console shows.
OUTCOMES = {"solved": "Solved", "not_solved": "Not solved"}
