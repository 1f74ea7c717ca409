"""Two Rasa replicas sharing PostgreSQL and Redis behind nginx: consistency, widget path,
signed sessions, `make forget`, failover.

One cluster serves the whole module; the failover test, which kills and restarts processes,
runs last.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from account_service.mailbox import canonical_mailbox
from cluster.crash import run_once
from cluster.postgres import postgres_home
from cluster.processes import Cluster
from common.addresses import normalize_email
from common.clients import client_network
from rasa_addons.channels.guard import PER_SENDER_LIMITS
from stack.learner import (
    Endpoints,
    SocketLearner,
    client_headers,
    message,
    new_client,
    new_sender,
    webhook_url,
)
from tests.support.addresses import unique_address
from tests.support.cluster import (
    assert_every_turn_kept,
    events,
    postgres_dump,
    redis_contents,
    replica_learner,
    stored_user_texts,
    user_texts,
)
from tests.support.forget import (
    chat_with_code_and_ticket,
    make_forget,
    traces_in,
    traces_in_files,
)
from tests.support.sessions import FOREIGN_IDS, aged_ids, altered, confirmed_for

MASK = re.compile(r"\b\d{6}\b|CS-\d+")


def _texts(replies: list[dict[str, Any]]) -> list[str]:
    return [MASK.sub("<n>", reply.get("text") or "") for reply in replies]


def _converse(
    cluster: Cluster, sender: str, replicas: list[int]
) -> tuple[list[list[str]], list[str]]:
    """Ben (Google sign-in only) can't log in and proves his address with a code.

    Turn i goes straight to replica `replicas[i % len(replicas)]`, bypassing nginx.
    """
    address = "ben.okafor@gmail.com"
    turns = ["hello", "hi, i can't log into my account", "no", f"my email is {address}"]
    turns += ["yes please", "<code>", "no"]
    seen: list[list[str]] = []
    typed: list[str] = []
    learners = [replica_learner(cluster, replica, sender) for replica in replicas]
    for number, text in enumerate(turns):
        learner = learners[number % len(learners)]
        if text == "<code>":
            text = learner.latest_code(address)
        typed.append(text)
        seen.append(_texts(learner.replies_to(text)))
    return seen, typed


def _value(name: str, value: Any) -> str:
    """Slot values without what is random per conversation (codes, tickets, tokens, and
    the learner's client id that starts each session)."""
    if "token" in name or name == "session_started_metadata":
        return "<random>"
    return MASK.sub("<n>", str(value))


def _skeleton(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The events without timestamps and ids: what happened, slot values included."""
    shape = []
    for row in rows:
        data = json.loads(row["data"])
        value = _value(data["name"], data.get("value")) if row["type_name"] == "slot" else None
        shape.append((row["type_name"], row["intent_name"], row["action_name"], value))
    return shape


def _slots(rows: list[dict[str, Any]]) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for row in rows:
        if row["type_name"] == "slot":
            data = json.loads(row["data"])
            slots[data["name"]] = _value(data["name"], data.get("value"))
    return slots


def test_turns_alternating_between_replicas_form_one_consistent_conversation(
    cluster: Cluster,
) -> None:
    reference = f"one-replica-{uuid.uuid4().hex[:8]}"
    alternating = f"two-replicas-{uuid.uuid4().hex[:8]}"
    expected, _ = _converse(cluster, reference, [0])
    replies, typed = _converse(cluster, alternating, [0, 1])

    # Same answers turn by turn: step flow continued and the code requested through replica
    # 1 was accepted when typed on replica 2, which then used the account facts.
    assert replies == expected
    assert any("6-digit code" in text for text in replies[3])
    assert any("set up to log in with Google" in text for text in replies[5])

    rows = events(cluster, alternating)
    reference_rows = events(cluster, reference)
    # Every user turn stored once, in the order sent; nothing lost, nothing doubled.
    assert user_texts(rows) == typed
    ids = [row["id"] for row in rows]
    assert ids == sorted(set(ids))
    stamps = [row["timestamp"] for row in rows]
    assert stamps == sorted(stamps)
    unique = {(row["type_name"], row["timestamp"], row["data"]) for row in rows}
    assert len(unique) == len(rows)
    # Same events and slot values as the conversation held on one replica.
    assert _skeleton(rows) == _skeleton(reference_rows)
    assert _slots(rows) == _slots(reference_rows)
    assert len(rows) == len(reference_rows)


async def _websocket_widget(public: str) -> tuple[str, list[str]]:
    """The same over a WebSocket-only connection, speaking the socket.io protocol directly."""
    url = public.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, headers={"Origin": public}) as ws:

            async def event(wait: float) -> tuple[str, Any]:
                while True:
                    packet = await ws.receive_str(timeout=wait)
                    if packet == "2":  # engine.io ping
                        await ws.send_str("3")
                    elif packet.startswith("42"):
                        name, *data = json.loads(packet[2:])
                        return name, data[0] if data else None

            async def emit(name: str, data: dict[str, str | None]) -> None:
                await ws.send_str("42" + json.dumps([name, data]))

            assert (await ws.receive_str(timeout=30)).startswith("0{")
            await ws.send_str("40")
            assert (await ws.receive_str(timeout=30)).startswith("40")
            await emit("session_request", {"session_id": None})
            name, session_id = await event(30)
            assert name == "session_confirm"
            await emit("user_uttered", {"message": "hello", "session_id": session_id})
            texts: list[str] = []
            wait = 60.0
            while True:
                try:
                    name, data = await event(wait)
                except asyncio.TimeoutError:
                    return session_id, texts
                if name == "bot_uttered":
                    texts.append(data.get("text") or "")
                    wait = 2.0


def test_widget_page_and_socketio_work_through_nginx(cluster: Cluster) -> None:
    public = cluster.config.public_url
    with urllib.request.urlopen(f"{public}/socket.io/?EIO=4&transport=polling", timeout=30) as r:
        assert r.status == 200
        body = r.read().decode()
    assert body.startswith("0{") and json.loads(body[1:])["sid"]
    with urllib.request.urlopen(f"{public}/", timeout=30) as page:
        assert page.status == 200
        html = page.read().decode()
    # The page tells its widget to connect back to nginx, its own origin.
    assert public in html

    # The widget's way (long polling) with the simulated learner, then a WebSocket-only
    # client speaking the socket.io protocol itself.
    config = cluster.config
    with SocketLearner(
        Endpoints(public, config.account_url, config.api_key), origin=public
    ) as chat:
        over_polling, polling = chat.say("hello"), chat.sender
    websocket, over_websocket = asyncio.run(_websocket_widget(public))
    assert polling != websocket
    assert any("What's going on?" in text for text in over_polling)
    assert over_websocket == over_polling
    assert user_texts(events(cluster, polling)) == ["hello"]
    assert user_texts(events(cluster, websocket)) == ["hello"]


def test_the_insights_page_reads_the_clusters_conversations(cluster: Cluster) -> None:
    """The support team's page behind nginx counts the conversations held in PostgreSQL."""
    sender = f"insights-{uuid.uuid4().hex[:8]}"
    replica_learner(cluster, 0, sender).say("hello")
    url = f"{cluster.config.public_url}/insights/csv/summary.csv"
    token = cluster.config.secrets["INSIGHTS_AGENT_TOKEN"]
    with urllib.request.urlopen(
        urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}), timeout=60
    ) as answer:
        assert answer.status == 200
        table = answer.read().decode()
    counts = dict(line.split(",", 1) for line in table.splitlines()[1:] if "," in line)
    assert int(counts["conversations"]) >= 1
    try:
        urllib.request.urlopen(url, timeout=60)
        raise AssertionError("the page answered without the agent credential")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401


def _assistants(cluster: Cluster) -> dict[str, Endpoints]:
    """Each replica on its own, and nginx in front of both."""
    config = cluster.config
    urls = {"replica 1": config.rasa_url(0), "replica 2": config.rasa_url(1)}
    urls["nginx"] = config.public_url
    return {name: Endpoints(url, config.account_url, config.api_key) for name, url in urls.items()}


def test_a_session_issued_by_one_replica_is_resumed_by_the_other_and_through_nginx(
    cluster: Cluster,
) -> None:
    """The replicas sign with one key: an id one issued is good on the other, an altered
    copy of it on none."""
    assistants = _assistants(cluster)
    with SocketLearner(assistants["replica 1"]) as first:
        first.say("I can't log in")
        issued = first.sender
    with SocketLearner(assistants["replica 2"], sender=issued) as again:
        assert again.sender == issued
        again.say("hi")
    assert stored_user_texts(cluster, issued, 2) == ["I can't log in", "hi"]
    assert confirmed_for(assistants["nginx"], issued) == issued
    changed = altered(issued)
    for name, assistant in assistants.items():
        assert confirmed_for(assistant, changed) not in (changed, issued), name


def _log_sizes(logs: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in logs.glob("*.log")}


def _written_since(logs: Path, sizes: dict[str, int]) -> dict[str, str]:
    """What each log file gained since `sizes` were taken."""
    written = {}
    for path in logs.glob("*.log"):
        with path.open("rb") as log:
            log.seek(sizes.get(path.name, 0))
            written[path.name] = log.read().decode(errors="replace")
    return written


@pytest.mark.parametrize("requested", FOREIGN_IDS)
def test_other_ids_get_a_new_session_in_the_cluster_never_an_error(
    cluster: Cluster, requested: str | None
) -> None:
    """Through nginx a tampered, foreign or non-ASCII id gets a new session (no 5xx, no
    traceback in a replica's log), and the new id is good on each replica."""
    assistants = _assistants(cluster)
    logs = cluster.config.var_dir / "logs"
    sizes = _log_sizes(logs)
    issued = confirmed_for(assistants.pop("nginx"), requested)
    assert issued != requested
    for name, assistant in assistants.items():
        assert confirmed_for(assistant, issued) == issued, name
    written = _written_since(logs, sizes)
    socketio = [line for line in written["nginx-access.log"].splitlines() if "/socket.io/" in line]
    assert socketio, "the requests did not pass through nginx"
    assert [line for line in socketio if line.split()[1].startswith("5")] == []
    for name, text in written.items():
        if name.startswith("rasa-"):
            assert "Traceback" not in text and "ERROR" not in text, text


def test_an_ended_session_is_refused_by_every_replica(cluster: Cluster) -> None:
    """An id signed with the cluster's key more than SESSION_MAX_HOURS (12) ago gets a new
    session from either replica and through nginx; one signed an hour ago is resumed."""
    ended, recent = aged_ids(cluster.config.secrets["SESSION_SIGNING_KEY"])
    for name, assistant in _assistants(cluster).items():
        assert confirmed_for(assistant, ended) != ended, name
        assert confirmed_for(assistant, recent) == recent, name


def test_make_forget_leaves_nothing_of_a_conversation_in_the_cluster(cluster: Cluster) -> None:
    """Two conversations through nginx, each with a code mail and a ticket; `make forget
    CLUSTER=1` forgets one. Then neither PostgreSQL (every database, dumped), nor Redis
    (every key and value), nor the account service's database, nor any log of the cluster
    holds its id, its address (as typed, as stored, as its canonical mailbox) or its
    client's IPv6 address or /64 network; the other conversation is all there."""
    config = cluster.config
    public = _assistants(cluster)["nginx"]
    gone_address = f"Forget.Cluster.{uuid.uuid4().hex[:8]}@gmail.com"
    gone_client = (
        "2001:db8:" + ":".join(f"{secrets.randbelow(0xFFFF) + 1:x}" for _ in range(2)) + "::17"
    )
    kept_address = unique_address("keep-cluster")
    gone = chat_with_code_and_ticket(public, gone_address, client=gone_client)
    kept = chat_with_code_and_ticket(public, kept_address)
    kept_rows = events(cluster, kept.sender)
    assert events(cluster, gone.sender) and kept_rows

    result = make_forget(gone.sender, "CLUSTER=1", env={"CLUSTER_VAR_DIR": str(config.var_dir)})
    assert result.returncode == 0, result.stderr
    assert "1 tickets" in result.stdout and "1 outbox" in result.stdout, result.stdout

    network = client_network(gone_client)
    traces = [
        gone.sender,
        gone_address,
        normalize_email(gone_address),
        canonical_mailbox(gone_address),
        gone_client,
        network,
        network.split("/")[0],  # the network's first four groups, however it is written
    ]
    assert len(set(traces)) == len(traces)
    dump = postgres_dump(cluster)
    stored = redis_contents(cluster)
    in_redis = b"\n".join(
        part for keys in stored.values() for key, value in keys.items() for part in (key, *value)
    )
    found = traces_in(dump, traces, "PostgreSQL")
    found += traces_in(in_redis, traces, "Redis")
    found += traces_in_files([config.var_dir], traces, skip=[postgres_home(config.var_dir)])
    assert found == []

    # The searches see what is there: the kept conversation in PostgreSQL and in the account
    # service's database; rate-limit windows of these messages in Redis, keyed by no
    # conversation id, the kept one's included.
    assert kept.sender.encode() in dump and kept_address.encode() in dump
    assert traces_in_files([config.var_dir], [kept_address]) != []
    assert any(key.startswith(b"LIMITER/sender/") for keys in stored.values() for key in keys)
    assert kept.sender.encode() not in in_redis

    assert events(cluster, gone.sender) == []
    assert gone.outbox(gone_address) == []
    assert events(cluster, kept.sender) == kept_rows
    assert len(kept.outbox(kept_address)) == 1


def test_no_turn_is_lost_or_doubled_when_a_replica_and_an_action_server_die(
    cluster: Cluster,
) -> None:
    """20 learners through nginx while rasa-1 and action-1 are SIGKILLed; supervisord brings
    them back. `make crash-report` repeats this (and more faults) into reports/crash.md."""
    run = run_once(cluster, learners=20, fault="replica-and-action")
    print(f"\ncrash run: {json.dumps(run)}")
    assert_every_turn_kept(run)


def test_no_turn_is_lost_when_postgresql_restarts(cluster: Cluster) -> None:
    """Rasa falls back to a tracker in memory when its store fails and answers as if all
    were well, without storing the turn; the store tries the database again instead."""
    run = run_once(cluster, learners=20, fault="postgres", settle=5.0)
    print(f"\npostgres restart: {json.dumps(run)}")
    assert run["failed_turns_seen"] == 0, run["failure_examples"]
    assert run["conversations_differing"] == 0, run["differing_examples"]
    assert run["user_turns_stored_twice"] == 0


def test_replicas_share_the_rate_limits(cluster: Cluster) -> None:
    """The channels' limits live in Redis: one conversation alternating between the two
    replicas is limited as one, not once per replica."""
    burst = PER_SENDER_LIMITS[0].amount  # messages one conversation may send in 10 s
    sender, client = new_sender("limits"), new_client()
    statuses = []
    for turn in range(burst + 1):
        request = urllib.request.Request(
            webhook_url(cluster.config.rasa_url(turn % 2)),
            data=json.dumps(message(sender, "hello")).encode(),
            headers={"Content-Type": "application/json", **client_headers(client)},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as refused:
            statuses.append(refused.code)
    assert statuses == [200] * burst + [429]
