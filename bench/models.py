"""Trains the two models the benchmark compares, cached by a hash of what goes into them.

`ours` is config.yml; `stock` is Rasa's default configuration (empty pipeline and
policies, so Rasa fills in DIET, TED, Memoization, ...) on the same domain and data.
Training runs under `flock /tmp/heavy.lock` because the machine is shared.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from stack.processes import BIN, ROOT

BUILD = ROOT / "build" / "bench"
HEAVY_LOCK = "/tmp/heavy.lock"
STOCK_CONFIG = (
    "# Rasa's stock configuration: defaults for everything.\nlanguage: en\npipeline:\npolicies:\n"
)


@dataclass
class TrainedModel:
    name: str
    path: Path
    training_seconds: float
    size_bytes: int
    cached: bool


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
    custom = sorted((ROOT / "nlu_components").glob("*.py"))
    return custom + sorted(p for p in spacy_dir.rglob("*") if p.is_file())


def train(name: str, config_text: str, *, lock: bool = True, log=print) -> TrainedModel:
    """Trains into build/bench/<name>/ unless a model for the same inputs is there."""
    extra = _spacy_files() if name == "ours" else []
    key = fingerprint(config_text, extra)
    out_dir = BUILD / name
    out_dir.mkdir(parents=True, exist_ok=True)
    model = out_dir / f"{name}-{key}.tar.gz"
    meta = out_dir / f"{name}-{key}.json"
    if model.exists() and meta.exists():
        seconds = float(json.loads(meta.read_text())["training_seconds"])
        return TrainedModel(name, model, seconds, model.stat().st_size, cached=True)
    config_path = out_dir / f"config-{key}.yml"
    config_path.write_text(config_text)
    command = [
        str(BIN / "rasa"),
        "train",
        "--config",
        str(config_path),
        "--domain",
        str(ROOT / "domain.yml"),
        "--data",
        str(ROOT / "data"),
        "--out",
        str(out_dir),
        "--fixed-model-name",
        f"{name}-{key}",
    ]
    if lock:
        command = ["flock", HEAVY_LOCK, *command]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    log(f"training {name} model ({key}) ...")
    with (out_dir / f"train-{key}.log").open("wb") as output:
        started = time.monotonic()
        # flock waits for the lock before starting rasa; time only the training itself.
        subprocess.run(["flock", HEAVY_LOCK, "true"] if lock else ["true"], check=True, cwd=ROOT)
        started = time.monotonic()
        subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=output, stderr=output)
        seconds = time.monotonic() - started
    meta.write_text(json.dumps({"training_seconds": round(seconds, 1)}))
    return TrainedModel(name, model, seconds, model.stat().st_size, cached=False)


def ours() -> str:
    return (ROOT / "config.yml").read_text()


if __name__ == "__main__":
    import sys

    which = sys.argv[1:] or ["stock", "ours"]
    for name in which:
        print(train(name, STOCK_CONFIG if name == "stock" else ours()))
