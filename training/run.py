"""The one training wrapper: a fresh directory, the config as a file, the heavy lock, a clock.

Callers pass the training itself (Rasa in-process for eval, `rasa train` in a child process
for bench), so every training on the machine is locked and timed the same way.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from training.lock import heavy_lock


def run_training(
    out_dir: Path,
    config_text: str,
    train_in: Callable[[str, str], str | None],
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[str, float]:
    """Runs `train_in(config_path, out_dir)` in a fresh `out_dir`, holding the heavy lock.

    Returns the model's path and the seconds the training took by `clock`, waiting for the
    lock left out.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    # A config file of its own: Rasa may write into it (filled-in defaults, an assistant_id).
    config_path = out_dir / "config.yml"
    config_path.write_text(config_text, encoding="utf-8")
    with heavy_lock():
        started = clock()
        model = train_in(str(config_path), str(out_dir))
        seconds = clock() - started
    if not model or not Path(model).is_file():
        raise RuntimeError(f"training in {out_dir} produced no model")
    return model, seconds
