"""The private (or patched) parts of Rasa this package relies on, with the signature each
is expected to have. tests/rasa_addons/test_private_api.py checks every entry against the
installed Rasa; when an upgrade renames or reshapes one, that test names it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RasaName:
    """`attribute` (dotted) of `module`; `parameters` are its expected parameter names
    when it is called or replaced, None for a plain attribute."""

    module: str
    attribute: str
    parameters: tuple[str, ...] | None
    used_by: str
    # Set on `self` by the class's `__init__`, not on the class itself.
    on_instances: bool = False


TRACKER_STORE = "rasa_addons/tracker_store.py"
SERVER = "rasa_addons/server.py"
HISTORY = "rasa_addons/history.py"
GRAPH_RUNNER = "rasa_addons/graph_runner.py"

RELIED_ON: tuple[RasaName, ...] = (
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker.applied_events",
        ("self",),
        f"{HISTORY}: replaced: kept on the tracker and extended",
    ),
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker.copy",
        ("self",),
        f"{HISTORY}: replaced: a copy of the state instead of a replay",
    ),
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker._paused",
        None,
        f"{HISTORY}: copied with the tracker's state",
        on_instances=True,
    ),
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker._create_events",
        ("self", "evts"),
        f"{HISTORY}: the copy's event deque",
    ),
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker._undo_till_previous",
        ("event_type", "done_events"),
        f"{HISTORY}: Rasa's revert rule, applied to new events",
    ),
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker._undo_till_previous_loop_execution",
        ("loop_action_name", "done_events"),
        f"{HISTORY}: Rasa's loop rule, applied to new events",
    ),
    RasaName(
        "rasa.shared.core.trackers",
        "DialogueStateTracker._first_loop_execution_or_unhappy_path",
        ("self", "loop_action_name", "applied_events"),
        f"{HISTORY}: Rasa's loop rule, applied to new events",
    ),
    RasaName(
        "rasa.core.featurizers.tracker_featurizers",
        "TrackerFeaturizer._create_states",
        ("tracker", "domain", "omit_unset_slots", "ignore_rule_only_turns", "rule_only_data"),
        f"{HISTORY}: replaced: kept states, extended",
    ),
    RasaName(
        "rasa.core.featurizers.tracker_featurizers",
        "TrackerFeaturizer._remove_user_text_if_intent",
        ("trackers_as_states",),
        f"{HISTORY}: replaced: skips the kept states",
    ),
    RasaName(
        "rasa.core.featurizers.tracker_featurizers",
        "TrackerFeaturizer._remove_action_unlikely_intent_from_states",
        ("states",),
        f"{HISTORY}: replaced: kept states pass as they are",
    ),
    RasaName(
        "rasa.shared.core.domain",
        "Domain._get_prev_action_sub_state",
        ("tracker",),
        f"{HISTORY}: one state, as states_for_tracker_history builds it",
    ),
    RasaName(
        "rasa.shared.core.domain",
        "Domain._remove_rule_only_features",
        ("state", "rule_only_data"),
        f"{HISTORY}: one state, as states_for_tracker_history builds it",
    ),
    RasaName(
        "rasa.shared.core.domain",
        "Domain._substitute_rule_only_user_input",
        ("state", "last_ml_state"),
        f"{HISTORY}: one state, as states_for_tracker_history builds it",
    ),
    RasaName(
        "rasa.shared.core.domain",
        "Domain._clean_state",
        ("state",),
        f"{HISTORY}: one state, as states_for_tracker_history builds it",
    ),
    RasaName(
        "rasa.shared.core.domain",
        "Domain.states_for_tracker_history",
        ("self", "tracker", "omit_unset_slots", "ignore_rule_only_turns", "rule_only_data"),
        f"{HISTORY}: the loop the kept states follow line by line",
    ),
    RasaName(
        "rasa.core.policies.rule_policy",
        "RulePolicy._get_possible_keys",
        ("self", "lookup", "states"),
        f"{HISTORY}: replaced: stops past the longest rule left",
    ),
    RasaName(
        "rasa.core.policies.rule_policy",
        "RulePolicy._is_rule_applicable",
        ("self", "rule_key", "turn_index", "conversation_state"),
        f"{HISTORY}: called by the replacement",
    ),
    RasaName(
        "rasa.core.policies.rule_policy",
        "RulePolicy._rule_key_to_state",
        ("rule_key",),
        f"{HISTORY}: the rules' lengths",
    ),
    RasaName(
        "rasa.core.policies.rule_policy",
        "RulePolicy._create_feature_key",
        ("self", "states"),
        f"{HISTORY}: replaced: a short text for a key no lookup can hold",
    ),
    RasaName(
        "rasa.core.policies.rule_policy",
        "RulePolicy._is_rule_snippet_state",
        ("state",),
        f"{HISTORY}: where Rasa's key starts",
    ),
    RasaName(
        "rasa.core.policies.rule_policy",
        "RULES_NOT_IN_STORIES",
        None,
        f"{HISTORY}: the lookup the feature key is found in",
    ),
    RasaName(
        "rasa.core.policies.policy",
        "Policy.format_tracker_states",
        ("states",),
        f"{HISTORY}: replaced: text built only with debug logging",
    ),
    RasaName(
        "limits.storage.memory",
        "MemoryStorage._MemoryStorage__expire_events",
        ("self",),
        "rasa_addons/channels/guard.py: the sweep, scheduled every few seconds",
    ),
    RasaName(
        "limits.storage.memory",
        "MemoryStorage._MemoryStorage__schedule_expiry",
        ("self",),
        "rasa_addons/channels/guard.py: replaced to sweep every few seconds",
    ),
    RasaName(
        "rasa.engine.runner.dask",
        "DaskGraphRunner.run",
        ("self", "inputs", "targets"),
        f"{GRAPH_RUNNER}: replaced: the nodes called in a kept order",
    ),
    RasaName(
        "rasa.engine.runner.dask",
        "DaskGraphRunner._graph_schema",
        None,
        f"{GRAPH_RUNNER}: the schema the order is worked out from",
        on_instances=True,
    ),
    RasaName(
        "rasa.engine.runner.dask",
        "DaskGraphRunner._instantiated_nodes",
        None,
        f"{GRAPH_RUNNER}: the nodes it calls",
        on_instances=True,
    ),
    RasaName(
        "rasa.core.actions.action",
        "RemoteAction._validate_action_result",
        ("self", "result"),
        f"{SERVER}: replaced by a validator built once",
    ),
    RasaName(
        "rasa.core.actions.action",
        "RemoteAction.action_response_format_spec",
        (),
        f"{SERVER}: the schema the replacement validates against",
    ),
    RasaName(
        "rasa.utils.endpoints",
        "EndpointConfig.session",
        ("self",),
        f"{SERVER}: replaced by one kept session per event loop",
    ),
    RasaName(
        "rasa.utils.endpoints",
        "DEFAULT_REQUEST_TIMEOUT",
        None,
        f"{SERVER}: the kept session's timeout",
    ),
    RasaName(
        "rasa.core.processor",
        "MessageProcessor.handle_message",
        ("self", "message"),
        f"{SERVER}: wrapped to answer a repeated turn id from the tracker (rasa_addons/turns.py)",
    ),
    RasaName(
        "rasa.core.channels.socketio",
        "SocketIOOutput._send_message",
        ("self", "socket_id", "response"),
        "rasa_addons/channels/guard.py: wrapped to number a turn's replies",
    ),
    RasaName(
        "rasa.core.lock_store",
        "RedisLockStore._acquire_lock",
        ("self", "conversation_id", "ticket", "wait_time_in_seconds"),
        "rasa_addons/lock_store.py: waits for the ticket's turn, as Rasa's lock does",
    ),
    RasaName(
        "rasa.core.lock_store",
        "RedisLockStore.lock",
        ("self", "conversation_id", "lock_lifetime", "wait_time_in_seconds"),
        "rasa_addons/lock_store.py: overridden to renew the ticket while it is held",
    ),
    RasaName(
        "rasa.core.tracker_store",
        "SQLTrackerStore._additional_events",
        ("self", "session", "tracker"),
        f"{TRACKER_STORE}: events not stored yet",
    ),
    RasaName(
        "rasa.core.tracker_store",
        "SQLTrackerStore._stream_new_events",
        ("self", "event_broker", "new_events", "sender_id"),
        f"{TRACKER_STORE}: new events to the event broker, as Rasa's save does",
    ),
    RasaName(
        "rasa.core.tracker_store",
        "SQLTrackerStore.session_scope",
        ("self",),
        f"{TRACKER_STORE}: a database session",
    ),
    RasaName(
        "rasa.core.tracker_store",
        "SQLTrackerStore.SQLEvent",
        None,
        f"{TRACKER_STORE}: the events table",
    ),
    RasaName(
        "rasa.nlu.classifiers.logistic_regression_classifier",
        "LogisticRegressionClassifier._create_X",
        ("self", "messages"),
        "rasa_addons/nlu/intent_classifier.py: overridden to read sentence features only",
    ),
    RasaName(
        "rasa.utils.tensorflow.models",
        "time",
        None,
        "rasa_addons/eval_patches.py: the clock Rasa's TF models seed from",
    ),
    RasaName(
        "rasa.core.processor",
        "MessageProcessor.predict_next_with_tracker_if_should",
        ("self", "tracker"),
        "rasa_addons/eval_patches.py: timed next-action predictions",
    ),
)

# Rasa modules whose log records the channels read (a failed action call is only logged,
# and so is a tracker store that failed, after which Rasa carries on with a tracker in
# memory that is never stored): each must log under its own module name.
LOGGERS: tuple[str, ...] = (
    "rasa.core.processor",
    "rasa.core.actions.action",
    "rasa.core.tracker_store",
)
