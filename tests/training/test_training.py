"""The shared training plumbing: the heavy lock against flock(1), the wrapper, the stock config.

The lock tests use a lock file of their own, so they never wait for (or block) real jobs.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from training import lock
from training.lock import heavy_lock
from training.run import run_training
from training.stock import stock_config, stock_config_text


@pytest.fixture(autouse=True)
def lock_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "heavy.lock")
    monkeypatch.setattr(lock, "LOCK_PATH", path)
    monkeypatch.delenv(lock.HELD_BY_PARENT, raising=False)
    return path


def free_for_flock(path: str) -> bool:
    return subprocess.run(["flock", "-n", path, "true"]).returncode == 0


@pytest.fixture
def flock_holder(lock_path: str) -> Iterator[subprocess.Popen]:
    """`flock <lock> sleep 30` in a child process, started once it holds the lock."""
    holder = subprocess.Popen(["flock", lock_path, "sleep", "30"])
    while free_for_flock(lock_path):
        time.sleep(0.01)
    yield holder
    holder.terminate()
    holder.wait()


def finishes(action: Callable[[], None]) -> bool:
    """Whether `action` returns within ten seconds (a lock taken twice never returns)."""
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    thread.join(10)
    return not thread.is_alive()


def test_flock_1_waits_while_the_lock_is_held(lock_path: str) -> None:
    with heavy_lock():
        assert not free_for_flock(lock_path)
    assert free_for_flock(lock_path)


def test_the_lock_waits_for_a_flock_1_holder(tmp_path: Path, lock_path: str) -> None:
    done = tmp_path / "holder done"
    holder = subprocess.Popen(["flock", lock_path, "sh", "-c", f"sleep 0.5; touch '{done}'"])
    while free_for_flock(lock_path) and not done.exists():
        time.sleep(0.01)
    with heavy_lock():
        assert done.exists()
    holder.wait()


def test_nested_holds_share_the_outer_one(lock_path: str) -> None:
    free_after_inner: list[bool] = []

    def nested() -> None:
        with heavy_lock():
            with heavy_lock():
                pass
            free_after_inner.append(free_for_flock(lock_path))

    assert finishes(nested)
    assert free_after_inner == [False]
    assert free_for_flock(lock_path)


def test_a_lock_held_by_the_parent_is_not_taken_again(
    flock_holder: subprocess.Popen, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lock.HELD_BY_PARENT, "1")

    def enter() -> None:
        with heavy_lock():
            pass

    assert finishes(enter)
    assert flock_holder.poll() is None


def test_training_runs_in_a_fresh_directory_under_the_lock(tmp_path: Path, lock_path: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "stale.tar.gz").write_text("an older model")
    seen: dict[str, object] = {}
    now = [100.0]  # a clock the training moves on by 42 s

    def train_in(config_path: str, output: str) -> str:
        seen["config"] = Path(config_path).read_text()
        seen["files"] = sorted(p.name for p in Path(output).iterdir())
        seen["lock free"] = free_for_flock(lock_path)
        now[0] += 42.0
        model = Path(output) / "model.tar.gz"
        model.write_text("model")
        return str(model)

    model, seconds = run_training(out_dir, "language: en\n", train_in, clock=lambda: now[0])

    assert model == str(out_dir / "model.tar.gz")
    assert seen == {"config": "language: en\n", "files": ["config.yml"], "lock free": False}
    assert seconds == 42.0  # the training's own time, read before and after it
    assert free_for_flock(lock_path)


@pytest.mark.parametrize("result", [None, "missing.tar.gz"])
def test_a_training_without_a_model_fails(tmp_path: Path, result: str | None) -> None:
    with pytest.raises(RuntimeError, match="produced no model"):
        run_training(tmp_path / "out", "language: en\n", lambda config, output: result)


def test_the_stock_config_is_what_rasa_fills_in_for_an_empty_one() -> None:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    keys = {"recipe", "language", "pipeline", "policies"}
    assert stock_config() == DefaultV1Recipe.complete_config({}, keys)
    assert [c["name"] for c in stock_config()["pipeline"]][-4:] == [
        "DIETClassifier",
        "EntitySynonymMapper",
        "ResponseSelector",
        "FallbackClassifier",
    ]
    assert yaml.safe_load(stock_config_text()) == stock_config()
