"""The crash test: learners chat through nginx while a process of the cluster dies.

Each learner behaves like the widget: every message has a turn id; a request that fails
(connection error, HTTP error, timeout) is sent again with the same id after 0.5, 1, 2, 4
and 8 s, and then given up. A learner *sees* a failure only when a turn is given up or
answered with the apology or the account service's outage line; a re-sent request is a
delay, not a failure. After the run the conversations are compared with what PostgreSQL
and the account service stored: every user turn once, in order; one code mail and one
ticket request per conversation that asked for them.

A fault is a SIGKILL of a Rasa replica and an action server (supervisord restarts them),
or a restart (stop, then start) of Redis or PostgreSQL. On a cluster of hosts (`make
hosts`) a host can fail too: Rasa host 1 lost (every process in its namespace SIGKILLed,
supervisord starting them again), or cut off from the network for PARTITION_SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg2

from cluster.config import ClusterConfig
from cluster.hosts import DATABASE, Hosts
from cluster.processes import ROOT, Cluster, remove_files, running
from common.events_table import learner_messages
from stack.learner import (
    AsyncRestLearner,
    Endpoints,
    Refused,
    failed_turn,
    new_client,
    new_sender,
    new_turn,
)

# One conversation: the login steps, an address, a code mail, a ticket, goodbye.
SCRIPT = (
    "hello",
    "I can't log in to my account",
    "no",
    "my email is {address}",
    "yes please",
    "I want to talk to a person",
    "bye",
)
# Registered demo accounts (account_service/seed.json) the learners take turns with.
ADDRESSES = ("ana.silva@example.com", "ben.okafor@gmail.com", "chloe.martin@outlook.com")
RESEND_AFTER = (0.5, 1.0, 2.0, 4.0, 8.0)
REQUEST_TIMEOUT = 60.0
PAUSE = 0.5
HOST_FAULTS = ("rasa-host", "partition", "slow-database")
PARTITION_SECONDS = 10.0
# The database host's link slowed for a minute: 1 Mbit/s each way, packets queued up to
# 50 ms and dropped beyond (cluster/hosts.py `slow_link`).
SLOW_SECONDS, SLOW_RATE, SLOW_QUEUE_MS = 60.0, "1mbit", 50
ACCESS_LINE = re.compile(
    r'^(?P<at>[\d.]+) (?P<status>\d+) (?P<seconds>[\d.]+) "(?P<upstreams>[^"]*)" '
    r'"(?P<upstream_statuses>[^"]*)" "(?P<turn>[^"]*)"'
)


@dataclass
class Turn:
    """One message as the learner experienced it."""

    sender: str
    text: str
    turn: str
    started: float
    seconds: float = 0.0
    sends: int = 0
    outcome: str = "served"  # or "gave up", "apology", "outage", "empty"
    errors: list[str] = field(default_factory=list)


@dataclass
class Learners:
    turns: list[Turn] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)


async def _send(learner: AsyncRestLearner, turn: Turn) -> None:
    """Sends until served, answered with a failure, or out of re-sends."""
    for wait in (*RESEND_AFTER, None):
        turn.sends += 1
        try:
            replies = await learner.replies_to(turn.text, turn.turn)
        except Refused as refused:
            turn.errors.append(f"HTTP {refused.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as problem:
            turn.errors.append(type(problem).__name__)
        else:
            turn.outcome = failed_turn(replies) or "served"
            return
        if wait is None:
            turn.outcome = "gave up"
            return
        await asyncio.sleep(wait)


async def _learner(
    session: aiohttp.ClientSession,
    public: Endpoints,
    number: int,
    learners: Learners,
    stop: Callable[[], bool],
) -> None:
    address = ADDRESSES[number % len(ADDRESSES)]
    while not stop():
        # A client of its own per conversation: the per-client code quota is not scaled.
        learner = AsyncRestLearner(session, public, new_sender("crash"), new_client())
        for line in SCRIPT:
            turn = Turn(learner.sender, line.format(address=address), new_turn(), time.time())
            learners.sent.setdefault(learner.sender, []).append(turn.text)
            await _send(learner, turn)
            turn.seconds = time.time() - turn.started
            learners.turns.append(turn)
            await asyncio.sleep(PAUSE)


async def _drive(public_url: str, count: int, stop: Callable[[], bool]) -> Learners:
    learners = Learners()
    public = Endpoints(public_url)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=count * 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(
            *(_learner(session, public, number, learners, stop) for number in range(count))
        )
    return learners


# The programs each fault hits, which must be ready again before it counts as over.
HIT = {
    "replica-and-action": ("rasa-1", "action-1"),
    "rasa-host": ("rasa-1", "action-1"),
    "partition": ("rasa-1", "action-1"),
    "slow-database": ("postgres", "redis"),
    "redis": ("redis",),
    "postgres": ("postgres",),
}


def _host_fault(hosts: Hosts, fault: str, timeline: dict[str, float]) -> None:
    if fault == "rasa-host":
        timeline["processes_killed"] = len(hosts.kill_host("rasa-1"))
    elif fault == "partition":
        hosts.set_link("rasa-1", up=False)
        time.sleep(PARTITION_SECONDS)
        hosts.set_link("rasa-1", up=True)
    else:
        hosts.slow_link(DATABASE, SLOW_RATE, SLOW_QUEUE_MS)
        try:
            time.sleep(SLOW_SECONDS)
        finally:
            hosts.restore_link(DATABASE)


def _fault(cluster: Cluster, fault: str, timeline: dict[str, float], started: float) -> None:
    supervisor = cluster.supervisor
    timeline["fault_at_s"] = round(time.time() - started, 2)
    if fault in HOST_FAULTS:
        hosts = cluster.config.hosts
        assert hosts is not None, f"{fault} needs a cluster of hosts (make hosts)"
        _host_fault(hosts, fault, timeline)
    elif fault == "replica-and-action":
        for name in HIT[fault]:
            supervisor.kill(name)  # supervisord notices and starts it again
    else:
        for name in HIT[fault]:
            supervisor.stop(name)
            supervisor.start(name)
    for name in HIT[fault]:
        supervisor.wait_ready(name)
    timeline["recovered_at_s"] = round(time.time() - started, 2)


def _stored_user_turns(cluster: Cluster, senders: list[str]) -> dict[str, list[dict[str, Any]]]:
    with psycopg2.connect(cluster.config.postgres_dsn) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sender_id, data FROM events WHERE type_name = 'user' "
                "AND sender_id = ANY(%s) ORDER BY id",
                (senders,),
            )
            stored: dict[str, list[dict[str, Any]]] = {}
            for sender, data in cursor.fetchall():
                stored.setdefault(sender, []).append(json.loads(data))
    return {sender: learner_messages(events) for sender, events in stored.items()}


def _side_effects(cluster: Cluster, senders: list[str]) -> dict[str, Counter[str]]:
    """Code mails and ticket requests per conversation, as the account service stored them."""
    counts: dict[str, Counter[str]] = {"mails": Counter(), "tickets": Counter()}
    marks = ",".join("?" * len(senders))
    with sqlite3.connect(cluster.config.var_dir / "accounts.db") as db:
        for kind, table in (("mails", "outbox"), ("tickets", "ticket_requests")):
            rows = db.execute(
                f"SELECT conversation_id, COUNT(*) FROM {table} "  # noqa: S608 (fixed names)
                f"WHERE conversation_id IN ({marks}) GROUP BY conversation_id",
                senders,
            )
            counts[kind].update(dict(rows.fetchall()))
    return counts


def _passed_on(cluster: Cluster, since: float) -> dict[str, int]:
    """Per turn id: requests nginx passed to another server after a failure."""
    passed: Counter[str] = Counter()
    log = cluster.config.var_dir / "logs" / "nginx-access.log"
    for line in log.read_text(errors="replace").splitlines():
        match = ACCESS_LINE.match(line)
        if match and float(match["at"]) >= since and "," in match["upstreams"]:
            passed[match["turn"]] += 1
    return dict(passed)


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 3)


def run_once(
    cluster: Cluster, learners: int = 20, fault: str = "replica-and-action", settle: float = 8.0
) -> dict[str, Any]:
    """One run: `settle` s of chat, the fault and recovery, `settle` s more; the figures."""
    if fault not in HIT:
        raise ValueError(f"unknown fault {fault!r}; one of {tuple(HIT)}")
    done = threading.Event()
    timeline: dict[str, float] = {}
    started = time.time()

    def fault_and_recover() -> None:
        try:
            time.sleep(settle)
            _fault(cluster, fault, timeline, started)
            time.sleep(settle)
        finally:
            done.set()

    async def both() -> Learners:
        seen, _ = await asyncio.gather(
            _drive(cluster.config.public_url, learners, done.is_set),
            asyncio.to_thread(fault_and_recover),
        )
        return seen

    seen = asyncio.run(both())
    senders = list(seen.sent)
    stored = _stored_user_turns(cluster, senders)
    effects = _side_effects(cluster, senders)
    passed = _passed_on(cluster, started)

    differing = {
        sender: {"sent": texts, "stored": [event["text"] for event in stored.get(sender, [])]}
        for sender, texts in seen.sent.items()
        if [event["text"] for event in stored.get(sender, [])] != texts
    }
    stored_twice = sum(
        count - 1
        for events in stored.values()
        for count in Counter(event.get("message_id") for event in events).values()
    )
    asked = {turn.sender for turn in seen.turns if turn.text == "yes please"}
    handed = {turn.sender for turn in seen.turns if turn.text == "I want to talk to a person"}
    failures = [turn for turn in seen.turns if turn.outcome != "served"]
    delayed = [turn for turn in seen.turns if turn.sends > 1 or turn.turn in passed]
    return {
        "fault": fault,
        "learners": learners,
        "conversations": len(senders),
        "turns": len(seen.turns),
        "failed_turns_seen": len(failures),
        "failures_seen": dict(Counter(turn.outcome for turn in failures)),
        "client_resends": sum(turn.sends - 1 for turn in seen.turns),
        "passed_on_by_nginx": sum(passed.values()),
        "conversations_differing": len(differing),
        "user_turns_stored_twice": stored_twice,
        "mails_made_twice": sum(1 for sender in asked if effects["mails"][sender] > 1),
        "mails_missing": sum(1 for sender in asked if effects["mails"][sender] == 0),
        "tickets_made_twice": sum(1 for sender in handed if effects["tickets"][sender] > 1),
        "delayed_turns": len(delayed),
        "delayed_turn_p95_s": _percentile([turn.seconds for turn in delayed], 0.95),
        "turn_p50_s": _percentile([turn.seconds for turn in seen.turns], 0.5),
        "slowest_turn_s": _percentile([turn.seconds for turn in seen.turns], 1.0),
        **timeline,
        "seconds": round(time.time() - started, 1),
        "differing_examples": dict(list(differing.items())[:3]),
        "failure_examples": [asdict(turn) for turn in failures[:3]],
    }


# The committed report's plan: (runs, learners, fault).
PLAN: tuple[tuple[int, int, str], ...] = (
    (20, 20, "replica-and-action"),
    (2, 50, "replica-and-action"),
    (1, 20, "redis"),
    (1, 20, "postgres"),
)
# Lines in the logs that a hung turn leaves: nginx giving up on a replica, a ticket that
# was not renewed in time, Rasa failing to get a conversation's lock.
HANG_SIGNS = {
    "nginx-error.log": ("upstream timed out",),
    "rasa-1.log": ("expired before it was renewed", "Could not acquire lock"),
    "rasa-2.log": ("expired before it was renewed", "Could not acquire lock"),
}


def hang_signs(cluster: Cluster) -> dict[str, int]:
    """How many lines of each kind the logs hold (read after the runs)."""
    found: dict[str, int] = {}
    logs = cluster.supervisor.log_dir
    for name, signs in HANG_SIGNS.items():
        paths = sorted(logs.glob(name.replace(".log", "*.log")))
        if not paths:
            raise FileNotFoundError(f"no {name} in {logs}: the hang signs cannot be counted")
        text = "\n".join(path.read_text(errors="replace") for path in paths)
        for sign in signs:
            found[f"{name}: {sign}"] = text.count(sign)
    return found


def summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (fault, learners): the worst run of each figure."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["fault"], run["learners"]), []).append(run)
    keys = (
        "failed_turns_seen",
        "user_turns_stored_twice",
        "conversations_differing",
        "mails_made_twice",
        "tickets_made_twice",
        "delayed_turn_p95_s",
        "slowest_turn_s",
    )
    return [
        {
            "fault": fault,
            "learners": learners,
            "runs": len(group),
            "turns": sum(run["turns"] for run in group),
            **{f"worst_{key}": max(run[key] for run in group) for key in keys},
        }
        for (fault, learners), group in groups.items()
    ]


def write_report(
    runs: list[dict[str, Any]],
    signs: dict[str, int],
    output: Path,
    title: str = "Crash test",
    command: str = "make crash-report",
) -> None:
    """reports/crash.json (every run) and crash.md (the tables the docs quote); for
    `make hosts-report`, reports/hosts.json and hosts.md."""
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report = {"date": date, "summary": summary(runs), "hang_signs": signs, "runs": runs}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    columns = (
        ("fault", "fault"),
        ("learners", "learners"),
        ("turns", "turns"),
        ("failed_turns_seen", "failed seen"),
        ("client_resends", "re-sent"),
        ("passed_on_by_nginx", "passed on"),
        ("user_turns_stored_twice", "stored twice"),
        ("conversations_differing", "conv. differing"),
        ("mails_made_twice", "mails twice"),
        ("tickets_made_twice", "tickets twice"),
        ("delayed_turn_p95_s", "delayed p95 s"),
        ("slowest_turn_s", "slowest s"),
        ("recovered_at_s", "recovered at s"),
    )
    lines = [
        f"# {title} ({date})",
        "",
        f"Written by `{command}` (cluster/crash.py). Learners chat through nginx like",
        "the widget (turn ids, re-sends after 0.5/1/2/4/8 s); after 8 s a fault hits, then",
        "8 s more after recovery. *failed seen*: turns given up or answered with the apology",
        "or the outage line. *re-sent*: requests the learners sent again. *passed on*:",
        "requests nginx passed to another server. *delayed*: turns re-sent or passed on.",
        "",
        "| run | " + " | ".join(title for _, title in columns) + " |",
        "|" + " --- |" * (len(columns) + 1),
    ]
    for number, run in enumerate(runs, 1):
        lines.append(
            f"| {number} | " + " | ".join(str(run.get(key, "")) for key, _ in columns) + " |"
        )
    lines += ["", "## Lines in the logs that a hung turn would leave", ""]
    lines += [f"- {sign}: {count}" for sign, count in signs.items()]
    (output.with_suffix(".md")).write_text("\n".join(lines) + "\n")


# `make hosts-report`'s plan, on a cluster of hosts.
HOSTS_PLAN: tuple[tuple[int, int, str], ...] = (
    (3, 20, "rasa-host"),
    (1, 50, "rasa-host"),
    (3, 20, "partition"),
    (1, 50, "partition"),
    (1, 20, "slow-database"),
    (1, 20, "redis"),
)


def run_plan(
    plan: tuple[tuple[int, int, str], ...], output: Path, network: str | None = None
) -> list[dict[str, Any]]:
    """Every run of `plan` on one cluster of its own (on hosts of their own in `network`,
    if given); the report goes to `output`."""
    name = "crash-report" if network is None else "hosts-report"
    config = ClusterConfig.on_free_ports(
        ROOT / "var" / name,
        # Hundreds of conversations a run mail the same three demo accounts.
        extra_env={"ACCOUNT_LIMITS_SCALE": "1000"},
        network=network,
        host_prefix="accr",  # beside `make hosts` (acc-…) and the tests' hosts
    )
    remove_files(config)
    runs = []
    with running(config) as cluster:
        for count, learners, fault in plan:
            for _ in range(count):
                run = run_once(cluster, learners, fault)
                print(json.dumps({key: run[key] for key in list(run)[:16]}), flush=True)
                runs.append(run)
        signs = hang_signs(cluster)
    # The logs stay for reading (var/ is not committed); everything else goes.
    kept = ROOT / "var" / f"{name}-logs"
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(config.var_dir / "logs", kept)
    remove_files(config)
    if network is None:
        write_report(runs, signs, output)
    else:
        write_report(runs, signs, output, "Host faults", "make hosts-report")
    print(f"written to {output} and {output.with_suffix('.md')}")
    return runs
