"""`make eval-offscript`: the held-out off-script conversations, played against the assistant.

eval/offscript/conversations.yml holds conversations that leave the article's script (side
questions, yes and no in the learner's words, "start over", codes typed oddly, ...). None of
them is training data or a test story. Each is played over the REST channel against a fresh
stack (account service, action server, Rasa with the trained model) and judged turn by
turn by stack/conversations.py. A turn is right when it sent exactly the expected responses
and broke no conversation rule; a conversation is right when all its turns are. Writes
reports/offscript-eval.md and reports/offscript-eval.json.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import tempfile
from pathlib import Path
from typing import Any

from stack.conversations import Conversation, Turn, load, play
from stack.learner import RestLearner
from stack.processes import ROOT, StackConfig, running

HELDOUT = ROOT / "eval" / "offscript" / "conversations.yml"
REPORTS = ROOT / "reports"


def judge(conversations: list[Conversation], model: Path) -> list[dict[str, Any]]:
    """Every conversation's turns as played against a fresh stack serving `model`."""
    results = []
    with tempfile.TemporaryDirectory() as var_dir:
        config = StackConfig.on_free_ports(Path(var_dir), model=model, limits_scale=50)
        with running(config) as stack:
            for conversation in conversations:
                turns: list[Turn] = []
                try:
                    turns.extend(play(conversation, RestLearner(stack.config)))
                except (AssertionError, OSError) as error:  # e.g. no code in the outbox
                    turns.append(Turn(len(turns) + 1, "", [], [], [], [f"stopped: {error}"]))
                results.append(
                    {
                        "name": conversation.spec["name"],
                        "kind": conversation.spec.get("kind", "other"),
                        "turns": len(conversation.spec["turns"]),
                        "right_turns": sum(turn.right for turn in turns),
                        "wrong": [
                            {
                                "turn": t.number,
                                "message": t.message,
                                "got": t.names,
                                "problems": t.problems,
                            }
                            for t in turns
                            if not t.right
                        ],
                    }
                )
    return results


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    by_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0])
    for result in results:
        row = by_kind[result["kind"]]
        row[0] += not result["wrong"]
        row[1] += 1
        row[2] += result["right_turns"]
        row[3] += result["turns"]
    return {
        "conversations_right": sum(not r["wrong"] for r in results),
        "conversations": len(results),
        "turns_right": sum(r["right_turns"] for r in results),
        "turns": sum(r["turns"] for r in results),
        "by_kind": dict(sorted(by_kind.items())),
    }


def markdown(label: str, figures: dict[str, Any], results: list[dict[str, Any]]) -> str:
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Off-script conversations, held out",
        "",
        f"Written by `make eval-offscript` on {date}, model: {label}. Held-out set:",
        f"`eval/offscript/conversations.yml` ({figures['conversations']} conversations, "
        f"{figures['turns']} learner turns). A turn is right when the assistant sent exactly "
        "the expected responses and broke no conversation rule.",
        "",
        f"- conversations right: **{figures['conversations_right']} / {figures['conversations']}**",
        f"- turns right: **{figures['turns_right']} / {figures['turns']}**",
        "",
        "| kind | conversations right | turns right |",
        "|---|---:|---:|",
    ]
    for kind, (right, total, right_turns, turns) in figures["by_kind"].items():
        lines.append(f"| {kind} | {right} / {total} | {right_turns} / {turns} |")
    wrong = [r for r in results if r["wrong"]]
    if wrong:
        lines += ["", "## Wrong turns", ""]
        for result in wrong:
            for turn in result["wrong"]:
                lines.append(
                    f"- {result['name']}, turn {turn['turn']} ({turn['message']!r}): "
                    f"got {turn['got']}; {'; '.join(turn['problems'])}"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "accounts.tar.gz")
    parser.add_argument("--label", default="models/accounts.tar.gz (this checkout)")
    parser.add_argument("--out", default="offscript-eval", help="report name under reports/")
    args = parser.parse_args()
    results = judge(load([HELDOUT]), args.model)
    figures = summary(results)
    (REPORTS / f"{args.out}.json").write_text(
        json.dumps({"figures": figures, "conversations": results}, indent=1) + "\n"
    )
    (REPORTS / f"{args.out}.md").write_text(markdown(args.label, figures, results))
    print(
        f"{figures['conversations_right']}/{figures['conversations']} conversations, "
        f"{figures['turns_right']}/{figures['turns']} turns right"
    )


if __name__ == "__main__":
    main()
