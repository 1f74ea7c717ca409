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


TRACKER_STORE = "rasa_addons/tracker_store.py"
SERVER = "rasa_addons/server.py"

RELIED_ON: tuple[RasaName, ...] = (
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
