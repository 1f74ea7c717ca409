"""Rasa's policies read a conversation's whole session again for every prediction; here
they continue from where the previous prediction stopped, with the same results.

Profiling one turn of a 2,000-turn session (13,552 events) showed why a turn cost 6.6 s
there and 26 ms at turn 10: every prediction replays all events of the session about ten
times (`applied_events`, then `past_states`, which builds one tracker state per action),
the rule policy compares every state with every rule still possible and formats all
states into a debug message that is thrown away unless debug logging is on. A turn makes
two or three predictions. All of it grows with the session.

Both lists are pure functions of the events so far, and a conversation's events only
grow, so they are kept on the tracker and extended by the new events:

- `applied_events`: Rasa's rules (reverts, loop re-executions, session starts) applied to
  the new events only. The rare events that change what came before (a new loop name,
  an edited or trimmed event list) start it over.
- The featurizers' states (`TrackerFeaturizer._create_states`): one state per new
  action, from a replay tracker kept with the cache. Whenever `applied_events` removed
  events the states were built from (a side question taken out, a revert, a loop running
  again), they go back to the last mark before the cut (where the replay stood, kept
  every MARK_EVERY events) and are built again from there, not from the start.
- The rule policy stops comparing once the conversation is longer than every rule still
  in question: from there on Rasa's check accepts every remaining rule anyway.
- The states are formatted for the rule policy's debug message only when debug logging
  is on.

The cached states are stored the way every featurizer's `prediction_states` leaves them
(user text dropped where the intent is known), so no caller changes them afterwards.
`install()` is called by the Rasa server of this project (`rasa_addons/server.py`), not by
training or evaluation. tests/rasa_addons/test_history.py compares every result with
Rasa's own, on generated event sequences and on every test story.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RULES_NOT_IN_STORIES, RulePolicy
from rasa.shared.core.constants import (
    ACTION_UNLIKELY_INTENT_NAME,
    PREVIOUS_ACTION,
    USER,
)
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT, TEXT

_APPLIED = "_kept_applied_events"
_STATES = "_kept_states"
# A cut in the applied events (a revert, a loop running again) takes the kept states back
# to the last mark before it, at most this many events back, not to the start.
MARK_EVERY = 64

RASA_APPLIED_EVENTS = DialogueStateTracker.applied_events
RASA_COPY = DialogueStateTracker.copy
RASA_CREATE_STATES = TrackerFeaturizer._create_states
RASA_REMOVE_TEXT = TrackerFeaturizer._remove_user_text_if_intent
RASA_REMOVE_UNLIKELY = TrackerFeaturizer._remove_action_unlikely_intent_from_states
RASA_POSSIBLE_KEYS = RulePolicy._get_possible_keys
RASA_FEATURE_KEY = RulePolicy._create_feature_key
RASA_FORMAT_STATES = Policy.format_tracker_states


@dataclass
class EventsRead:
    """How far a kept result has read a tracker's events; it holds as long as the tracker
    only gained events since (its first and last read event are still in place)."""

    seen: int = 0
    first: Event | None = None
    last: Event | None = None

    def continues(self, events: Sequence[Event]) -> bool:
        """Whether `events` are the ones read so far followed by new ones."""
        if self.seen > len(events):
            return False
        if self.seen == 0:
            return True
        return events[0] is self.first and events[self.seen - 1] is self.last

    def unread(self, events: Sequence[Event]) -> list[Event]:
        """The events after those read, taken from the end (a deque skips from the start
        one by one)."""
        return list(itertools.islice(reversed(events), len(events) - self.seen))[::-1]

    def read_all(self, events: Sequence[Event]) -> None:
        self.seen = len(events)
        self.first = events[0] if events else None
        self.last = events[-1] if events else None


@dataclass
class _Applied(EventsRead):
    """`applied_events` of the events read, and how it was cut back since."""

    loop_names: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)
    # After each removal, how many leading events were left untouched.
    kept_after_cut: list[int] = field(default_factory=list)

    def untouched_since(self, cuts_seen: int, length: int) -> bool:
        """Whether the first `length` applied events stayed as they were."""
        return all(kept >= length for kept in self.kept_after_cut[cuts_seen:])


def _loop_names(events: Iterable[Event]) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def _kept_before_last_execution(applied: list[Event], loop_name: str) -> int:
    """How many leading events Rasa's loop re-execution leaves in place: it removes the
    featurized events after the loop's previous execution."""
    for index in range(len(applied) - 1, -1, -1):
        event = applied[index]
        if isinstance(event, ActionExecuted) and event.action_name == loop_name:
            return index + 1
    return 0


def _extend_applied(tracker: DialogueStateTracker) -> _Applied:
    """The tracker's kept `applied_events`, brought up to date (Rasa's rules, new events only)."""
    events = tracker.events
    kept: _Applied | None = tracker.__dict__.get(_APPLIED)
    if kept is not None and kept.seen == len(events) and kept.continues(events):
        return kept  # nothing new since the last call (most calls)
    if (
        kept is None
        or not kept.continues(events)
        or not _loop_names(kept.unread(events)) <= kept.loop_names
    ):
        kept = _Applied(loop_names=_loop_names(events))
        tracker.__dict__[_APPLIED] = kept
    applied = kept.events
    for event in kept.unread(events):
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
            kept.kept_after_cut.append(0)
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
            kept.kept_after_cut.append(len(applied))
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
            kept.kept_after_cut.append(len(applied))
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in kept.loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            untouched = _kept_before_last_execution(applied, event.action_name)
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
            kept.kept_after_cut.append(untouched)
        else:
            applied.append(event)
    kept.read_all(events)
    return kept


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """Replaces `DialogueStateTracker.applied_events`: the same list, extended instead of
    rebuilt."""
    return list(_extend_applied(self).events)


class KeptState(dict):  # type: ignore[type-arg]
    """A state kept for the next predictions: as the featurizers' `prediction_states` leave
    it (user text dropped where the intent is known), never changed again. Knows whether
    it or a kept state before it follows `action_unlikely_intent`."""

    unlikely_intent_so_far: bool = False


def _is_after_unlikely_intent(state: State) -> bool:
    return bool(state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME) == ACTION_UNLIKELY_INTENT_NAME)


def _kept(state: State, before: KeptState | None) -> KeptState:
    user = state.get(USER)
    if user and user.get(INTENT) and user.get(TEXT):
        del user[TEXT]
    kept = KeptState(state)
    kept.unlikely_intent_so_far = _is_after_unlikely_intent(state) or bool(
        before and before.unlikely_intent_so_far
    )
    return kept


def _last_kept(states: list[State]) -> int:
    """Index of the last kept state (kept states come first), -1 if none."""
    for index in range(len(states) - 1, -1, -1):
        if isinstance(states[index], KeptState):
            return index
    return -1


@dataclass
class _Mark:
    """Where `_States` stood before applied event number `done`: a rewind starts there."""

    done: int
    states: int
    replay: DialogueStateTracker
    last_ml_action_sub_state: Any
    turn_was_hidden: bool


@dataclass
class _States:
    """Rasa's `Domain.states_for_tracker_history`, one prior tracker at a time."""

    domain: Domain
    omit_unset_slots: bool
    ignore_rule_only_turns: bool
    rule_only_data: dict[str, Any] | None
    replay: DialogueStateTracker
    applied: _Applied
    cuts_seen: int = 0
    done: int = 0
    states: list[KeptState] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False
    # Every MARK_EVERY applied events, where the replay stood (the first at event 0).
    marks: list[_Mark] = field(default_factory=list)

    def state_of(self, replay: DialogueStateTracker, hide_rule_turn: bool) -> State | None:
        """The state before the next action (None for a hidden rule turn); the loop body of
        Rasa's `states_for_tracker_history`, which this method follows line by line."""
        domain = self.domain
        if self.ignore_rule_only_turns:
            if not self.turn_was_hidden:
                self.last_ml_action_sub_state = domain._get_prev_action_sub_state(replay)
            if (
                not replay.followup_action
                and not replay.latest_action_name == replay.active_loop_name
            ):
                self.turn_was_hidden = hide_rule_turn
            if self.turn_was_hidden:
                return None
        state = domain.get_active_state(replay, omit_unset_slots=self.omit_unset_slots)
        if self.ignore_rule_only_turns:
            domain._remove_rule_only_features(state, self.rule_only_data)
            if self.states:
                domain._substitute_rule_only_user_input(state, self.states[-1])
            if self.last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = self.last_ml_action_sub_state
        return domain._clean_state(state)

    def extend(self, applied: list[Event]) -> None:
        for index in range(self.done, len(applied)):
            if index % MARK_EVERY == 0 and not (self.marks and self.marks[-1].done == index):
                self.marks.append(
                    _Mark(
                        index,
                        len(self.states),
                        _state_copy(self.replay, ()),
                        self.last_ml_action_sub_state,
                        self.turn_was_hidden,
                    )
                )
            event = applied[index]
            if isinstance(event, ActionExecuted):
                state = self.state_of(self.replay, event.hide_rule_turn)
                if state is not None:
                    before = self.states[-1] if self.states else None
                    self.states.append(_kept(state, before))
            self.replay.update(event)
        self.done = len(applied)
        self.cuts_seen = len(self.applied.kept_after_cut)

    def rewind(self, untouched: int) -> None:
        """Back to the last mark within the first `untouched` applied events, the ones a
        cut since the last read left in place; `extend` goes on from there."""
        while self.marks[-1].done > untouched:
            self.marks.pop()
        mark = self.marks[-1]
        self.done = mark.done
        del self.states[mark.states :]
        self.replay = _state_copy(mark.replay, ())
        self.last_ml_action_sub_state = mark.last_ml_action_sub_state
        self.turn_was_hidden = mark.turn_was_hidden

    def with_current(self) -> list[State]:
        """All states: the kept ones and that of the tracker as it is now (not kept: the
        featurizers change the last one in place)."""
        last = copy.copy(self).state_of(self.replay, False)
        if last is None:
            return list(self.states)
        if USER in last:
            # It may share the previous state's user part, which must stay as kept.
            last[USER] = dict(last[USER])
        return [*self.states, last]


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """Replaces `DialogueStateTracker.copy`, which the processor calls before every action
    it runs. Rasa's replays every event into a new tracker, and each revert among them
    (the two-stage fallback leaves one per "did you mean" turn) replays everything before
    it once more: 1.2 s of a turn at turn 2,000. The state a replay ends in is the one the
    tracker already holds, since it came from the same events applied the same way; it is
    copied instead, as Rasa's copy starts: from `init_copy` (no model or assistant id)."""
    return _state_copy(self, self.events)


def _state_copy(tracker: DialogueStateTracker, events: Iterable[Event]) -> DialogueStateTracker:
    """A tracker in `tracker`'s state, holding `events` (a replay's mark holds none: the
    states are built from what a tracker holds, never from its events)."""
    copied = tracker.init_copy()
    copied.events = copied._create_events(events)  # type: ignore[arg-type]
    copied.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    copied._paused = tracker._paused
    copied.followup_action = tracker.followup_action
    copied.latest_action = None if tracker.latest_action is None else dict(tracker.latest_action)
    copied.latest_message = tracker.latest_message
    copied.latest_bot_utterance = tracker.latest_bot_utterance
    copied.active_loop = copy.copy(tracker.active_loop)
    return copied


def _states_key(domain: Domain, omit: bool, ignore: bool, rule_only: Any) -> tuple[Any, ...]:
    return (id(domain), omit, ignore, json.dumps(rule_only, sort_keys=True, default=str))


def create_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Replaces `TrackerFeaturizer._create_states` (a static method)."""
    applied = _extend_applied(tracker)
    kept_states: dict[tuple[Any, ...], _States] = tracker.__dict__.setdefault(_STATES, {})
    key = _states_key(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    kept = kept_states.get(key)
    if kept is not None and kept.applied is not applied:
        kept = None  # the applied events were read again from the start
    if kept is not None and not applied.untouched_since(kept.cuts_seen, kept.done):
        kept.rewind(min(applied.kept_after_cut[kept.cuts_seen :]))
    if kept is None:
        kept = _States(
            domain,
            omit_unset_slots,
            ignore_rule_only_turns,
            rule_only_data,
            replay=tracker.init_copy(),
            applied=applied,
        )
        kept_states[key] = kept
    kept.extend(applied.events)
    return kept.with_current()


def possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[State]) -> set[str]:
    """Replaces `RulePolicy._get_possible_keys`: Rasa's filter, stopped once every rule left
    is shorter than the part of the conversation already compared (Rasa's
    `_is_rule_applicable` accepts each of them from there on)."""
    keys = set(lookup.keys())
    for index, state in enumerate(reversed(states)):
        longest = max((len(self._rule_key_to_state(key)) for key in keys), default=0)
        if index >= longest:
            break
        keys = {key for key in keys if self._is_rule_applicable(key, index, state)}
    return keys


def remove_user_text_if_intent(trackers_as_states: list[list[State]]) -> None:
    """Replaces `TrackerFeaturizer._remove_user_text_if_intent`: Rasa's, on the states
    after the kept ones (those are done already)."""
    for states in trackers_as_states:
        RASA_REMOVE_TEXT([states[_last_kept(states) + 1 :]])


def remove_action_unlikely_intent(states: list[State]) -> list[State]:
    """Replaces `TrackerFeaturizer._remove_action_unlikely_intent_from_states`: the kept
    states pass as they are when none of them follows `action_unlikely_intent`."""
    last_kept = _last_kept(states)
    if last_kept < 0 or cast(KeptState, states[last_kept]).unlikely_intent_so_far:
        return list(RASA_REMOVE_UNLIKELY(states))
    return [*states[: last_kept + 1], *RASA_REMOVE_UNLIKELY(states[last_kept + 1 :])]


def _states_in_key(key: str) -> int:
    """States in a rule source: a JSON list of states, or a description (default actions,
    loops) that stands for none."""
    try:
        states = json.loads(key)
    except json.JSONDecodeError:
        return 0
    return len(states) if isinstance(states, list) else 0


def _longest_rule_not_in_stories(policy: RulePolicy) -> int:
    """States in the longest key of the rule policy's `rules_not_in_stories`."""
    keys = policy.lookup.get(RULES_NOT_IN_STORIES, [])
    marker = (id(keys), len(keys))
    cached = policy.__dict__.get("_longest_rule_not_in_stories")
    if cached is None or cached[0] != marker:
        longest = max((_states_in_key(key) for key in keys), default=0)
        cached = (marker, longest)
        policy.__dict__["_longest_rule_not_in_stories"] = cached
    return int(cached[1])


def feature_key(self: RulePolicy, states: list[State]) -> str | None:
    """Replaces `RulePolicy._create_feature_key`. When no rule applies, Rasa encodes every
    state of the conversation since the last rule snippet as JSON only to look it up in
    `rules_not_in_stories` (whether to hide the turn). A key longer than every key there
    cannot be found, so a short text that is not JSON stands for it."""
    longest = _longest_rule_not_in_stories(self)
    recent = states[-(longest + 1) :]
    if len(states) > longest and not any(self._is_rule_snippet_state(s) for s in recent):
        return f"(the last {len(states)} states: longer than any rule not in the stories)"
    return RASA_FEATURE_KEY(self, states)


def format_states_for_debug(states: list[dict[str, Any]]) -> str:
    """Replaces `Policy.format_tracker_states`, whose text only goes to debug messages."""
    if not logging.getLogger("rasa.core.policies").isEnabledFor(logging.DEBUG):
        return f"({len(states)} states; shown with debug logging)"
    return str(RASA_FORMAT_STATES(states))


def _static(owner: type, name: str, rasas: Any, ours: Any) -> tuple[type, str, Any, Any]:
    return owner, name, staticmethod(rasas), staticmethod(ours)


# Where each replacement goes, Rasa's function and ours; static methods stay static.
_REPLACED: list[tuple[type, str, Any, Any]] = [
    (DialogueStateTracker, "applied_events", RASA_APPLIED_EVENTS, applied_events),
    (DialogueStateTracker, "copy", RASA_COPY, copy_tracker),
    _static(TrackerFeaturizer, "_create_states", RASA_CREATE_STATES, create_states),
    _static(
        TrackerFeaturizer,
        "_remove_user_text_if_intent",
        RASA_REMOVE_TEXT,
        remove_user_text_if_intent,
    ),
    _static(
        TrackerFeaturizer,
        "_remove_action_unlikely_intent_from_states",
        RASA_REMOVE_UNLIKELY,
        remove_action_unlikely_intent,
    ),
    (RulePolicy, "_get_possible_keys", RASA_POSSIBLE_KEYS, possible_keys),
    (RulePolicy, "_create_feature_key", RASA_FEATURE_KEY, feature_key),
    _static(Policy, "format_tracker_states", RASA_FORMAT_STATES, format_states_for_debug),
]


def install() -> None:
    for owner, name, _, ours in _REPLACED:
        setattr(owner, name, ours)


def uninstall() -> None:
    for owner, name, rasas, _ in _REPLACED:
        setattr(owner, name, rasas)


@contextmanager
def incremental_history() -> Iterator[None]:
    """Rasa with the replacements above while inside (for tests and measurements)."""
    install()
    try:
        yield
    finally:
        uninstall()
