"""Every change eval makes to Rasa's internals, one function each, kept together so a Rasa
upgrade has one place to check.

Relied on: `rasa.utils.tensorflow.models.time` (the `time` module that file imported) and
`rasa.core.processor.MessageProcessor.predict_next_with_tracker_if_should`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def pinned_tf_model_clock(seed: int) -> Iterator[None]:
    """Makes Rasa's TensorFlow models read `seed` from the clock while inside.

    Rasa's stock DIETClassifier has no `random_seed` and falls back to `int(time.time())`;
    pinning that one clock read makes the stock runs repeatable without editing its config.
    """
    import rasa.utils.tensorflow.models as tf_models

    class _Clock:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def time() -> float:
            return float(seed)

    original = tf_models.time
    tf_models.time = _Clock()  # type: ignore[assignment]
    try:
        yield
    finally:
        tf_models.time = original


@contextlib.contextmanager
def timed_action_predictions() -> Iterator[list[float]]:
    """Collects the seconds each next-action prediction of any Rasa processor takes inside."""
    from rasa.core.processor import MessageProcessor

    timings: list[float] = []
    original = MessageProcessor.predict_next_with_tracker_if_should

    def timed(self: MessageProcessor, tracker: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, tracker)
        finally:
            timings.append(time.perf_counter() - started)

    MessageProcessor.predict_next_with_tracker_if_should = timed  # type: ignore[method-assign]
    try:
        yield timings
    finally:
        MessageProcessor.predict_next_with_tracker_if_should = original  # type: ignore[method-assign]
