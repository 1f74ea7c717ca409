"""The graph run in a kept order (rasa_addons/graph_runner.py) gives what dask's run gives:
the trained model's parse of every test story's messages, its prediction before every
action of every test story, and the same error for a node that fails."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.engine.constants import PLACEHOLDER_TRACKER
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons import graph_runner
from stack.stories import story_trackers

T = TypeVar("T")


@pytest.fixture
def rasa_as_shipped() -> Iterator[None]:
    graph_runner.uninstall()
    yield
    graph_runner.uninstall()


def by_dask_and_in_order(run: Callable[[], T]) -> tuple[T, T]:
    graph_runner.uninstall()
    by_dask = run()
    graph_runner.install()
    try:
        return by_dask, run()
    finally:
        graph_runner.uninstall()


async def test_every_story_message_is_parsed_as_by_dask(
    agent: Agent, rasa_as_shipped: None
) -> None:
    texts = {
        event.text
        for tracker in story_trackers(agent)
        for event in tracker.events
        if isinstance(event, UserUttered) and event.text
    }
    assert len(texts) > 80
    for text in sorted(texts):
        graph_runner.uninstall()
        by_dask = await agent.parse_message(text)
        graph_runner.install()
        assert await agent.parse_message(text) == by_dask, text


def prediction_on_a_copy(processor: MessageProcessor, tracker: DialogueStateTracker) -> Any:
    """On a copy: a prediction takes a follow-up action off its tracker."""
    return processor._predict_next_with_tracker(tracker.copy())


def test_every_story_action_is_predicted_as_by_dask(agent: Agent, rasa_as_shipped: None) -> None:
    processor = agent.processor
    assert processor is not None
    predictions = 0
    for story in story_trackers(agent):
        tracker = DialogueStateTracker(story.sender_id, processor.domain.slots)
        for event in story.events:
            if isinstance(event, ActionExecuted):
                by_dask, in_order = by_dask_and_in_order(
                    functools.partial(prediction_on_a_copy, processor, tracker)
                )
                assert in_order == by_dask, f"{story.sender_id}: before {event.action_name}"
                predictions += 1
            tracker.update(event)
    assert predictions > 400


def test_a_failing_node_fails_the_run_as_under_dask(agent: Agent, rasa_as_shipped: None) -> None:
    """A tracker that is not one makes the policies fail: the same error both ways."""
    processor = agent.processor
    assert processor is not None
    target = processor.model_metadata.core_target
    assert target is not None

    def failure() -> Any:
        try:
            processor.graph_runner.run(inputs={PLACEHOLDER_TRACKER: "no tracker"}, targets=[target])
        except Exception as error:  # noqa: BLE001 - what fails is what is compared
            return type(error), str(error)
        return None

    by_dask, in_order = by_dask_and_in_order(failure)
    assert by_dask is not None
    assert in_order == by_dask
