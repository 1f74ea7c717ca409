"""Our classifier's input matrix is exactly the one Rasa's own classifier builds."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    ACTION_TEXT,
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import random as sparse_random

from rasa_addons.nlu.intent_classifier import SentenceFeatureLogisticRegression

RNG = np.random.default_rng(2024)


def featurized_message(sparse_widths: list[int], dense_width: int, tokens: int) -> Message:
    """A message with the features a pipeline of such featurizers would leave on it."""
    message = Message({TEXT: "i forgot my password"})
    for index, width in enumerate(sparse_widths):
        origin = f"sparse-{index}"
        for kind, rows in [(FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)]:
            matrix = sparse_random(
                rows, width, density=0.3, random_state=int(RNG.integers(1_000_000))
            )
            message.add_features(Features(matrix.tocoo(), kind, TEXT, origin))
    # Features of another attribute must be left out, as Rasa does.
    message.add_features(
        Features(sparse_random(1, 5, density=1.0).tocoo(), FEATURE_TYPE_SENTENCE, ACTION_TEXT, "x")
    )
    if dense_width:
        message.add_features(
            Features(RNG.random((1, dense_width)), FEATURE_TYPE_SENTENCE, TEXT, "dense")
        )
    return message


@pytest.mark.parametrize(
    ("sparse_widths", "dense_width"),
    [([40], 0), ([40, 300], 0), ([7, 40, 300], 0), ([40, 300], 12), ([], 12)],
)
def test_same_matrix_as_rasas_classifier(sparse_widths: list[int], dense_width: int) -> None:
    messages = [featurized_message(sparse_widths, dense_width, tokens=n) for n in (1, 4, 9)]

    ours = SentenceFeatureLogisticRegression._create_X(None, messages)  # type: ignore[arg-type]
    rasas = LogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]

    assert ours.shape == rasas.shape == (3, sum(sparse_widths) + dense_width)
    np.testing.assert_array_equal(ours.toarray(), rasas.toarray())
