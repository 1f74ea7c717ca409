"""`make eval-dialogue`: which dialogue policies to run, measured.

Trains a dialogue-only model for each policy configuration on data/ (same domain and
stories), then runs Rasa's own story evaluation on the held-out conversations
(eval/dialogue/heldout.yml) and on the test stories (tests/stories/), and times the
prediction of every action. Writes reports/dialogue-eval.json and reports/dialogue-eval.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import statistics
from pathlib import Path
from typing import Any

import yaml

from eval.seeded_training import train_core
from eval.settings import SEED
from rasa_addons.eval_patches import timed_action_predictions
from training.stock import stock_config

HELDOUT = "eval/dialogue/heldout.yml"
TEST_STORIES = "tests/stories"
BUILD = Path("build/eval/dialogue")
REPORTS = Path("reports")


def our_policies() -> list[dict[str, Any]]:
    with open("config.yml", encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["policies"])


def variants() -> dict[str, list[dict[str, Any]]]:
    """Policy lists to compare, the last one Rasa's stock policies."""
    ours = our_policies()
    rule = [policy for policy in ours if policy["name"] == "RulePolicy"]
    memo = [policy for policy in ours if "Memoization" in policy["name"]]
    ted = {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "random_seed": SEED}
    return {
        "ours (rules + augmented memoization)": ours,
        "rules + plain memoization": [*rule, {**memo[0], "name": "MemoizationPolicy"}],
        "ours + TED": [*ours, ted],
        "Rasa's default policies (with TED)": stock_config()["policies"],
    }


def train_variant(name: str, policies: list[dict[str, Any]]) -> tuple[str, float]:
    """A dialogue-only model with these policies, in build/eval/dialogue/<first word>/."""
    config = {"recipe": "default.v1", "language": "en", "pipeline": [], "policies": policies}
    out = BUILD / name.split(" ")[0].strip("'(").lower()
    return train_core(yaml.safe_dump(config), out)


def evaluate(model: str, stories: str, out: Path) -> dict[str, Any]:
    """Rasa's story evaluation plus the time each action prediction took."""
    from rasa.core.agent import Agent
    from rasa.core.test import test

    out.mkdir(parents=True, exist_ok=True)
    agent = Agent.load(model)
    with timed_action_predictions() as timings:
        result = asyncio.run(test(stories, agent, out_directory=str(out)))
    report = result["report"]
    conversations = report["conversation_accuracy"]
    return {
        "conversations_correct": conversations["correct"],
        "conversations": conversations["total"],
        "action_accuracy": report["accuracy"],
        "actions": report["weighted avg"]["support"],
        "median_prediction_ms": statistics.median(timings) * 1000 if timings else None,
    }


def markdown(results: dict[str, dict[str, Any]], date: str) -> str:
    lines = [
        "# Dialogue policies, measured",
        "",
        f"Written by `make eval-dialogue` on {date}. Each row is a dialogue model trained on",
        "`data/` with the same domain; only the policies differ. Held-out: "
        f"`{HELDOUT}` (conversations no story spells out). Test stories: `{TEST_STORIES}/`.",
        "",
        "| policies | held-out conversations | held-out actions | test-story conversations "
        "| test-story actions | median ms per prediction | training s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        held, tests = result["heldout"], result["test_stories"]
        lines.append(
            f"| {name} | {held['conversations_correct']}/{held['conversations']} "
            f"| {held['action_accuracy']:.3f} of {held['actions']} "
            f"| {tests['conversations_correct']}/{tests['conversations']} "
            f"| {tests['action_accuracy']:.3f} of {tests['actions']} "
            f"| {held['median_prediction_ms']:.2f} | {result['training_seconds']:.0f} |"
        )
    lines += [
        "",
        "The held-out stories that fail for a configuration are in "
        "`build/eval/dialogue/<name>/heldout/failed_test_stories.yml`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="evaluate only the configuration starting with this")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    for name, policies in variants().items():
        if args.only and not name.startswith(args.only):
            continue
        model, seconds = train_variant(name, policies)
        out = Path(model).parent
        results[name] = {
            "policies": policies,
            "training_seconds": seconds,
            "heldout": evaluate(model, HELDOUT, out / "heldout"),
            "test_stories": evaluate(model, TEST_STORIES, out / "test-stories"),
        }
        print(name, json.dumps(results[name]["heldout"]), flush=True)
    date = datetime.date.today().isoformat()
    REPORTS.mkdir(exist_ok=True)
    payload = {"date": date, "results": results}
    (REPORTS / "dialogue-eval.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    (REPORTS / "dialogue-eval.md").write_text(markdown(results, date), encoding="utf-8")


if __name__ == "__main__":
    main()
