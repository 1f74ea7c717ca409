"""What each of Rasa's replaced functions (rasa_addons/history.py and graph_runner.py)
still buys: the CPU of a turn's predictions with all of them in place, with each one
switched back to Rasa's in turn, and with none (Rasa as shipped), at turn 10 and at turn
2,000 of one session.

The session is every test story played one after the other (as one learner would), again
and again until it is long enough. Before a measured turn the tracker has been predicted on
once, as the server's tracker has after the previous turn, so the kept history is warm. A
turn is a greeting: the policies' predictions until they choose to listen (the model's own
choice; no custom action runs). `python -m bench patches` (`make bench-patches`) writes
reports/bench-patches.json and the table as reports/bench-patches.md; docs/performance.md
quotes the table.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import writer
from rasa_addons import graph_runner, history
from stack.processes import ROOT
from stack.stories import story_trackers

POINTS = (10, 2000)
REPLACEMENTS = [*history._REPLACED, *graph_runner.REPLACED]
# A replacement that saves less than this share of a turn's CPU at either point goes.
KEEP_THRESHOLD = 0.03


def _story_events(agent: Any) -> list[Any]:
    from rasa.shared.core.events import ActiveLoop, Restarted, SessionStarted

    events: list[Any] = []
    for tracker in story_trackers(agent):
        events.extend(e for e in tracker.events if not isinstance(e, SessionStarted | Restarted))
        if tracker.active_loop_name:
            # A story that ends inside the "did you mean" loop: its conversation ends
            # there, so the next one does not go on inside it.
            events.append(ActiveLoop(None))
    return events


def _first_turns(events: list[Any], turns: int) -> list[Any]:
    """The stories' events, repeated, up to the listen before user message number `turns`."""
    from rasa.shared.core.events import ActionExecuted, UserUttered

    out: list[Any] = []
    users = 0
    while True:
        for event in events:
            if isinstance(event, UserUttered):
                users += 1
                if users >= turns:
                    listened = isinstance(out[-1], ActionExecuted) and out[-1].action_name == (
                        "action_listen"
                    )
                    return out[:-1] if listened else out
            out.append(event)


def _first_turns_at_rest(events: list[Any], turns: int, slots: Any) -> tuple[int, list[Any]]:
    """`_first_turns` from user message `turns` on, at the first one that arrives with no
    loop active. A turn inside the "did you mean" fallback (a loop) costs what a rebuild of
    every state costs, whatever the replacements (docs/performance.md): that turn measures
    the fallback, not the replacements, and where the stories put one moves with them."""
    from rasa.shared.core.trackers import DialogueStateTracker

    while True:
        prefix = _first_turns(events, turns)
        tracker = DialogueStateTracker.from_events("at-rest", list(prefix), slots)
        if tracker.active_loop_name is None:
            return turns, prefix
        turns += 1


def _greeting() -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, UserUttered

    return [
        ActionExecuted("action_listen"),
        UserUttered("hi", intent={"name": "greet", "confidence": 1.0}),
    ]


def _turn_cpu_ms(processor: Any, tracker: Any) -> float:
    """The CPU of one turn as the processor spends it on the dialogue: a greeting, then
    until the model chooses to listen, per action the limit check, the prediction and the
    tracker copy the processor makes before running an action."""
    from rasa.shared.core.events import ActionExecuted

    for event in _greeting():
        tracker.update(event)
    started = time.process_time()
    for _ in range(10):
        processor.is_action_limit_reached(tracker, True)
        prediction = processor._predict_next_with_tracker(tracker)
        name = processor.domain.action_names_or_texts[prediction.max_confidence_index]
        tracker.copy()
        tracker.update(ActionExecuted(name))
        if name == "action_listen":
            break
    return (time.process_time() - started) * 1000


def _label(owner: type, name: str) -> str:
    return f"{owner.__name__}.{name}"


@contextmanager
def _replacements(off: str | None, all_off: bool = False) -> Iterator[None]:
    """Ours in place except `off` (Rasa's), or Rasa's everywhere."""
    for owner, name, rasas, ours in REPLACEMENTS:
        setattr(owner, name, rasas if all_off or _label(owner, name) == off else ours)
    try:
        yield
    finally:
        for owner, name, rasas, _ in REPLACEMENTS:
            setattr(owner, name, rasas)


def _measure(agent: Any, prefix: list[Any], repeats: int, off: str | None, all_off: bool) -> float:
    from rasa.shared.core.trackers import DialogueStateTracker

    slots = agent.processor.domain.slots
    samples = []
    with _replacements(off, all_off):
        tracker = DialogueStateTracker.from_events("bench-patches", list(prefix), slots)
        _turn_cpu_ms(agent.processor, tracker)  # warms what a served tracker has kept
        samples = [_turn_cpu_ms(agent.processor, tracker) for _ in range(repeats)]
    return round(statistics.median(samples), 2)


def measure(repeats: int) -> dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # As served (`rasa run` at its default level): no debug messages. Unconfigured, Rasa's
    # structured logger would print every debug message, with every state in it.
    configure_structlog(logging.INFO)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    agent = Agent.load(str(ROOT / "models" / "accounts.tar.gz"))
    events = _story_events(agent)
    configurations: list[tuple[str, str | None, bool]] = [
        ("all replacements", None, False),
        *(
            (f"without {_label(owner, name)}", _label(owner, name), False)
            for owner, name, _, _ in REPLACEMENTS
        ),
        ("Rasa as shipped", None, True),
    ]
    points: dict[str, dict[str, float]] = {}
    for point in POINTS:
        turns, prefix = _first_turns_at_rest(events, point, agent.processor.domain.slots)
        points[str(turns)] = {
            label: _measure(agent, prefix, repeats, off, all_off)
            for label, off, all_off in configurations
        }
    return {"repeats": repeats, "cpu_ms_per_turn": points}


def table(report: dict[str, Any]) -> str:
    """Markdown: per replacement, what switching it off costs at each point."""
    points = report["cpu_ms_per_turn"]
    lines = [
        f"Rasa CPU of one turn's predictions (median of {report['repeats']}), "
        f"{writer.when(report)}, `{report['command']}`.",
        "",
        "| replacement switched back to Rasa's | "
        + " | ".join(f"turn {p}: ms (its saving)" for p in points)
        + " | kept? |",
        "| --- | " + " | ".join("---:" for _ in points) + " | --- |",
    ]
    for label in next(iter(points.values())):
        cells, savings = [], []
        for values in points.values():
            base = values["all replacements"]
            saving = (values[label] - base) / values[label] if values[label] else 0.0
            savings.append(saving)
            cells.append(
                f"{values[label]:.1f}"
                + ("" if label == "all replacements" else f" ({saving:+.0%})")
            )
        kept = ""
        if label.startswith("without "):
            kept = "yes" if max(savings) >= KEEP_THRESHOLD else f"no: under {KEEP_THRESHOLD:.0%}"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {kept} |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeats", type=int, default=5, help="measured turns per point")
    writer.add_out(parser, "patches")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    report = writer.write("patches", command, measure(args.repeats), args.out, table)
    print(table(report))
    return report
