"""The evaluations' trainings: the shared wrapper (heavy lock, fresh directory, timing) with
every seed fixed, so a rerun trains the same models."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from eval.settings import SEED
from rasa_addons.eval_patches import pinned_tf_model_clock
from training.run import run_training


@contextlib.contextmanager
def fixed_seeds() -> Iterator[None]:
    """Seeds Python, NumPy and TensorFlow, and the clock Rasa's TF models take a seed from."""
    import tensorflow as tf

    random.seed(SEED)
    np.random.seed(SEED)
    tf.random.set_seed(SEED)
    with pinned_tf_model_clock(SEED):
        yield


def _seeded(
    out_dir: Path, config_text: str, train_in: Callable[[str, str], str | None]
) -> tuple[str, float]:
    with fixed_seeds():
        return run_training(out_dir, config_text, train_in)


def train_nlu(config_text: str, nlu_data: str, out_dir: Path) -> tuple[str, float]:
    """Trains an NLU-only model; returns its path and the training time."""
    from rasa.model_training import train_nlu as rasa_train_nlu

    def train_in(config_path: str, output: str) -> str | None:
        return rasa_train_nlu(
            config=config_path, nlu_data=nlu_data, output=output, fixed_model_name="nlu"
        )

    return _seeded(out_dir, config_text, train_in)


def train_core(config_text: str, out_dir: Path) -> tuple[str, float]:
    """Trains a dialogue-only model on domain.yml and data/; returns its path and time."""
    from rasa.model_training import train_core as rasa_train_core

    def train_in(config_path: str, output: str) -> str | None:
        return rasa_train_core(
            domain="domain.yml",
            config=config_path,
            stories="data",
            output=output,
            fixed_model_name="core",
        )

    return _seeded(out_dir, config_text, train_in)
