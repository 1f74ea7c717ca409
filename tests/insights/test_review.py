"""The review loop: a misunderstood message, exported as a candidate, corrected by a person
and added to the NLU data, is understood after training (NLU only, into a temp directory,
holding the machine's training lock)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from stack.processes import ROOT
from tests.insights.conftest import Scripted
from training.run import run_training

CANDIDATE = "lost all my things"  # read as "goodbye" with little confidence
CORRECT_INTENT = "missing_courses"
FALLBACK_THRESHOLD = 0.33  # config.yml's FallbackClassifier threshold

PARSE = """
import asyncio, json, sys
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
result = asyncio.run(agent.parse_message(sys.argv[2]))
print(json.dumps(result["intent"]))
"""


def export(scripted: Scripted, out: Path) -> dict:
    subprocess.run(
        [sys.executable, "-m", "insights", "review", "--days", "2"]
        + ["--tracker-db", str(scripted.stack.config.tracker_db), "--out", str(out)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return yaml.safe_load(out.read_text())


def test_a_corrected_candidate_is_understood_after_training(
    scripted: Scripted, tmp_path: Path
) -> None:
    review = export(scripted, tmp_path / "review.yml")
    candidates = {
        example["text"]: (group["intent"], example["metadata"])
        for group in review["nlu"]
        for example in group["examples"]
    }
    # What the running assistant did with it: a wrong guess, not sure of it.
    guess, metadata = candidates[CANDIDATE]
    assert guess != CORRECT_INTENT
    assert metadata["confidence"] < 0.5 and metadata["reason"] == "low_confidence"
    assert "blorf quux zzz" in candidates  # the fallback one is there too

    # A person moves it under the right intent and into the NLU data.
    data = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", data)
    corrected = {
        "version": "3.1",
        "nlu": [{"intent": CORRECT_INTENT, "examples": [{"text": CANDIDATE}]}],
    }
    (data / "reviewed.yml").write_text(yaml.safe_dump(corrected, sort_keys=False))

    def train(config: str, out: str) -> str | None:
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", config]
            + ["--nlu", str(data), "--out", out, "--fixed-model-name", "reviewed"],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        return str(Path(out) / "reviewed.tar.gz")

    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    model, _ = run_training(tmp_path / "model", config, train)
    parsed = subprocess.run(
        [sys.executable, "-c", PARSE, model, CANDIDATE],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    intent = json.loads(parsed.stdout.strip().splitlines()[-1])
    assert intent["name"] == CORRECT_INTENT
    assert intent["confidence"] >= FALLBACK_THRESHOLD
