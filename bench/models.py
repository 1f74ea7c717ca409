"""Trains the two models the benchmark compares, cached by a hash of what goes into them.

`ours` is config.yml; `stock` is Rasa's stock configuration (training.stock) on the same
domain and data. Each training runs `rasa train` in a child process, so TensorFlow stays out
of the benchmark's own process, through the shared wrapper that holds /tmp/heavy.lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stack.processes import BIN, ROOT
from training.run import run_training
from training.stock import stock_config_text

BUILD = ROOT / "build" / "bench"


@dataclass
class TrainedModel:
    name: str
    path: Path
    training_seconds: float
    size_bytes: int
    cached: bool


def config_for(name: str) -> str:
    """The configuration the model called `name` is trained with."""
    return stock_config_text() if name == "stock" else (ROOT / "config.yml").read_text()


def _inputs() -> list[Path]:
    files = [ROOT / "domain.yml"]
    files += sorted(p for p in (ROOT / "data").rglob("*") if p.is_file())
    return files


def fingerprint(config_text: str, extra: list[Path] | None = None) -> str:
    digest = hashlib.sha256(config_text.encode())
    for path in _inputs() + (extra or []):
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _spacy_files() -> list[Path]:
    spacy_dir = ROOT / "build" / "spacy-en-accounts"
    custom = sorted((ROOT / "rasa_addons" / "nlu").glob("*.py"))
    return custom + sorted(p for p in spacy_dir.rglob("*") if p.is_file())


def train(name: str, *, log: Callable[[str], None] = print) -> TrainedModel:
    """Trains into build/bench/<name>/<key>/ unless a model for the same inputs is there."""
    text = config_for(name)
    key = fingerprint(text, _spacy_files() if name == "ours" else [])
    out_dir = BUILD / name / key
    model = out_dir / f"{name}-{key}.tar.gz"
    meta = out_dir / "training.json"
    if model.exists() and meta.exists():
        seconds = float(json.loads(meta.read_text())["training_seconds"])
        return TrainedModel(name, model, seconds, model.stat().st_size, cached=True)

    def rasa_train(config_path: str, output: str) -> str:
        command = [
            str(BIN / "rasa"),
            "train",
            "--config",
            config_path,
            "--domain",
            str(ROOT / "domain.yml"),
            "--data",
            str(ROOT / "data"),
            "--out",
            output,
            "--fixed-model-name",
            model.name.removesuffix(".tar.gz"),
        ]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
        with (out_dir / "train.log").open("wb") as log_file:
            subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=log_file, stderr=log_file)
        return str(model)

    log(f"training {name} model ({key}) ...")
    _, seconds = run_training(out_dir, text, rasa_train)
    meta.write_text(json.dumps({"training_seconds": round(seconds, 1)}))
    return TrainedModel(name, model, seconds, model.stat().st_size, cached=False)


if __name__ == "__main__":
    import sys

    for which in sys.argv[1:] or ["stock", "ours"]:
        print(train(which))
