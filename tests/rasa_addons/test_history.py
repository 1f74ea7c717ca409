"""The incremental history (rasa_addons/history.py) gives exactly what Rasa's own functions
give: on generated event sequences with every kind of event that changes what came before
(reverts, loops running again, new sessions, a trimmed event list), and on the predictions
of the trained model for every test story and for all of them as one long conversation."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.agent import Agent
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_UNLIKELY_INTENT_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import BooleanSlot, CategoricalSlot, FloatSlot
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons import history
from stack.processes import ROOT
from stack.stories import story_trackers

LOOP = "action_two_stage_fallback"
DOMAIN = Domain.load(ROOT / "domain.yml")
RULE_ONLY_DATA = {"slots": ["mail_status"], "active_loops": [LOOP]}
FLAGS: list[dict[str, Any]] = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY_DATA},
]


def _slot_values(slot: Any) -> list[Any]:
    if isinstance(slot, CategoricalSlot):
        return [None, *slot.values[:3]]
    if isinstance(slot, BooleanSlot):
        return [None, True, False]
    if isinstance(slot, FloatSlot):
        return [None, 0.5]
    return [None, "a value"]


user_uttered = st.builds(
    lambda intent, text: UserUttered(text, {"name": intent, "confidence": 1.0}),
    st.sampled_from(DOMAIN.intents),
    st.sampled_from(["hello", "I can't log in", None]),
)
action_executed = st.builds(
    lambda name, hide: ActionExecuted(name, hide_rule_turn=hide),
    st.sampled_from(
        [ACTION_LISTEN_NAME, LOOP, ACTION_UNLIKELY_INTENT_NAME, *DOMAIN.user_actions[:8]]
    ),
    st.booleans(),
)
slot_set = st.sampled_from(DOMAIN.slots).flatmap(
    lambda slot: st.sampled_from(_slot_values(slot)).map(lambda value: SlotSet(slot.name, value))
)
other_event = st.sampled_from(
    [
        lambda: ActiveLoop(LOOP),
        lambda: ActiveLoop(None),
        ActionReverted,
        UserUtteranceReverted,
        SessionStarted,
        Restarted,
        lambda: ActionExecutionRejected(LOOP),
        lambda: FollowupAction(ACTION_LISTEN_NAME),
        lambda: LoopInterrupted(True),
        lambda: BotUttered("a reply"),
        ConversationPaused,
        ConversationResumed,
    ]
).map(lambda make: make())


def _loop_turn(intent: str) -> list[Event]:
    """The loop runs, the learner answers, the loop runs again: Rasa then drops the
    answer and the listen from the applied events."""
    return [
        ActionExecuted(LOOP),
        ActiveLoop(LOOP),
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("/" + intent, {"name": intent, "confidence": 1.0}),
        ActionExecuted(LOOP),
    ]


pieces = st.one_of(
    st.one_of(user_uttered, action_executed, action_executed, slot_set, other_event).map(
        lambda event: [event]
    ),
    st.sampled_from(DOMAIN.intents).map(_loop_turn),
)
batches = st.lists(pieces, min_size=1, max_size=4).map(
    lambda parts: [event for part in parts for event in part]
)


def rasas_states(tracker: DialogueStateTracker, **flags: Any) -> list[Any]:
    """Rasa's states, as its featurizers see them (user text dropped where the intent is
    known, which the kept states are stored as)."""
    states = history.RASA_CREATE_STATES(tracker, DOMAIN, **flags)
    history.RASA_REMOVE_TEXT([states])
    return list(states)


def ours_states(tracker: DialogueStateTracker, **flags: Any) -> list[Any]:
    states = history.create_states(tracker, DOMAIN, **flags)
    history.remove_user_text_if_intent([states])
    return states


def tracker_state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Every attribute a tracker holds (Rasa's fields, whatever they are), its events by
    identity and its slots by value; the history kept on it by our replacements aside."""
    state = {}
    for name, value in vars(tracker).items():
        if name.startswith("_kept_"):
            continue
        if name == "events":
            value = [id(event) for event in value]
        elif name == "slots":
            value = {slot: (held.value, held.has_been_set) for slot, held in value.items()}
        state[name] = value
    return state


def assert_copied_as_by_rasa(tracker: DialogueStateTracker) -> None:
    """For a tracker whose state came from its events, as every tracker Rasa serves."""
    before = tracker_state(tracker)
    copied = history.copy_tracker(tracker)
    assert tracker_state(copied) == tracker_state(history.RASA_COPY(tracker))
    # The copy is the processor's scratch tracker: changing it leaves the original alone.
    copied.update(SlotSet(DOMAIN.slots[0].name, "changed"))
    copied.update(ActionExecutionRejected(LOOP))
    copied.update(LoopInterrupted(True))
    copied.update(ActiveLoop(LOOP))
    assert tracker_state(tracker) == before


def assert_same_as_rasa(tracker: DialogueStateTracker) -> None:
    assert history.applied_events(tracker) == history.RASA_APPLIED_EVENTS(tracker)
    for flags in FLAGS:
        ours = ours_states(tracker, **flags)
        assert ours == rasas_states(tracker, **flags)
        assert history.remove_action_unlikely_intent(ours) == history.RASA_REMOVE_UNLIKELY(ours)


@contextmanager
def marks_every(events: int) -> Iterator[None]:
    served = history.MARK_EVERY
    history.MARK_EVERY = events
    try:
        yield
    finally:
        history.MARK_EVERY = served


# The server's spacing of the replay's marks, and marks so close that a cut in a generated
# sequence goes back to one in the middle of it.
@pytest.mark.parametrize("spacing", [history.MARK_EVERY, 2])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batches, min_size=1, max_size=12))
def test_kept_history_equals_rasas_after_every_batch_of_events(
    spacing: int, batches: list[list[Event]]
) -> None:
    tracker = DialogueStateTracker("generated", DOMAIN.slots)
    with marks_every(spacing):
        for batch in batches:
            for event in batch:
                tracker.update(event)
            assert_same_as_rasa(tracker)
            # A second call reads nothing new and must give the same again.
            assert_same_as_rasa(tracker)
            assert_copied_as_by_rasa(tracker)


def _turn(text: str, intent: str, reply: str) -> list[Event]:
    return [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered(text, {"name": intent, "confidence": 1.0}),
        ActionExecuted(reply),
    ]


@pytest.mark.parametrize(
    "change", ["replaced by other events", "rebuilt from copies", "emptied", "oldest dropped"]
)
def test_a_changed_event_list_is_read_again(change: str) -> None:
    capped = 6 if change == "oldest dropped" else None
    tracker = DialogueStateTracker("changed", DOMAIN.slots, max_event_history=capped)
    for event in _turn("hi", "greet", "utter_greet") + _turn("help", "cant_log_in", LOOP):
        tracker.update(event)
    assert_same_as_rasa(tracker)
    kept = list(tracker.events)
    if change == "replaced by other events":
        other = _turn("hi", "greet", LOOP) + _turn("help", "cant_log_in", "utter_greet")
        tracker.events = deque([*other, BotUttered("again")])
    elif change == "rebuilt from copies":
        tracker.events = deque(DialogueStateTracker.from_events("copy", kept).events)
    elif change == "emptied":
        tracker.events = deque()
    else:
        for event in _turn("thanks", "affirm", LOOP):
            tracker.update(event)
    assert_same_as_rasa(tracker)


# Predictions of the trained model.


@pytest.fixture
def rasa_as_shipped() -> Iterator[None]:
    """The test compares with Rasa unchanged; the replacements are only on while asked."""
    history.uninstall()
    yield
    history.uninstall()


def assert_same_predictions(agent: Agent, sender: str, story_events: list[Event]) -> int:
    """Builds the conversation event by event; before each action the incremental
    prediction on the growing tracker must equal Rasa's on a fresh copy."""
    processor = agent.processor
    assert processor is not None
    live = DialogueStateTracker(sender, DOMAIN.slots)
    predictions = 0
    for event in story_events:
        if isinstance(event, ActionExecuted):
            expected = processor._predict_next_with_tracker(
                DialogueStateTracker.from_events(sender, list(live.events), DOMAIN.slots)
            )
            with history.incremental_history():
                got = processor._predict_next_with_tracker(live)
            assert got == expected, f"{sender}: before {event.action_name}"
            predictions += 1
        live.update(event)
    return predictions


def test_every_test_story_is_predicted_as_by_rasa(agent: Agent, rasa_as_shipped: None) -> None:
    trackers = story_trackers(agent)
    assert len(trackers) >= 40
    predictions = sum(
        assert_same_predictions(agent, tracker.sender_id, list(tracker.events))
        for tracker in trackers
    )
    assert predictions > 400


# Stories in the long conversation: stock Rasa's history costs grow with the square of its
# length, and 40 stories already give hundreds of predictions over thousands of events.
LONG_CONVERSATION_STORIES = 40


def test_test_stories_as_one_long_conversation(agent: Agent, rasa_as_shipped: None) -> None:
    """One learner goes through test stories, one after the other, in one session."""
    long_conversation = [
        event
        for tracker in story_trackers(agent)[:LONG_CONVERSATION_STORIES]
        for event in tracker.events
        if not isinstance(event, (SessionStarted, Restarted))
    ]
    assert assert_same_predictions(agent, "long", long_conversation) > 400
