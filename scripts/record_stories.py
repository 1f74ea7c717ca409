"""Writes tests/stories/test_<topic>.yml: every conversation of tests/conversations/ played
against a freshly started stack and written as a Rasa test story (stack/stories.py)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from stack.conversations import forget_codes, load, play
from stack.learner import RestLearner
from stack.processes import ROOT, StackConfig, running
from stack.stories import render, steering_slots, story, story_file


def main() -> None:
    conversations = load(list((ROOT / "tests" / "conversations").glob("*.yml")))
    steering = steering_slots()
    by_topic: dict[str, list[dict[str, object]]] = {}
    wrong: list[str] = []
    with (
        tempfile.TemporaryDirectory() as var_dir,
        running(
            StackConfig.on_free_ports(
                Path(var_dir),
                log_dir=Path(var_dir) / "logs",
                # As in the tests: every conversation talks to the same few demo accounts.
                limits_scale=50,
            )
        ) as stack,
    ):
        for conversation in conversations:
            learner = RestLearner(stack.config)
            wrong += [
                f"{conversation.topic}: {conversation.name}: turn {turn.number}: {turn.problems}"
                for turn in play(conversation, learner)
                if not turn.right
            ]
            events = [json.loads(data) for _, data in learner.events()]
            by_topic.setdefault(conversation.topic, []).append(
                story(conversation.spec["name"], events, steering)
            )
            forget_codes(stack.config, learner.sender)
    if wrong:
        # A story is only written from a conversation that goes as written.
        sys.exit("not written, conversations went wrong:\n" + "\n".join(wrong))
    for topic, stories in by_topic.items():
        story_file(topic).write_text(render(topic, stories))
        print(f"wrote {story_file(topic).relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
