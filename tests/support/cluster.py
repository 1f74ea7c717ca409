"""Learners talking to one replica of a cluster, their conversations as PostgreSQL stores
them, and everything the cluster's PostgreSQL and Redis hold."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import psycopg2
import redis

from cluster.processes import Cluster
from common.events_table import learner_messages
from stack import postgres
from stack.learner import Endpoints, RestLearner
from tests.support.sessions import once_stored


def replica_learner(cluster: Cluster, replica: int, sender: str) -> RestLearner:
    """A learner whose turns go straight to one Rasa replica, bypassing nginx."""
    config = cluster.config
    replica_endpoints = Endpoints(config.rasa_url(replica), config.account_url, config.api_key)
    return RestLearner(replica_endpoints, sender)


def events(cluster: Cluster, sender: str) -> list[dict[str, Any]]:
    """The conversation as PostgreSQL stores it, in insertion order."""
    with psycopg2.connect(cluster.config.postgres_dsn) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, type_name, timestamp, intent_name, action_name, data "
                "FROM events WHERE sender_id = %s ORDER BY id",
                (sender,),
            )
            rows = cursor.fetchall()
    names = ("id", "type_name", "timestamp", "intent_name", "action_name", "data")
    return [dict(zip(names, row, strict=True)) for row in rows]


def user_texts(rows: list[dict[str, Any]]) -> list[str]:
    users = [json.loads(row["data"]) for row in rows if row["type_name"] == "user"]
    return [str(message.get("text")) for message in learner_messages(users)]


def stored_user_texts(cluster: Cluster, sender: str, count: int) -> list[str]:
    """The conversation's user texts once `count` are stored."""
    return once_stored(lambda: user_texts(events(cluster, sender)), count)


def postgres_dump(cluster: Cluster) -> bytes:
    """Every database of the cluster's PostgreSQL server, as `pg_dumpall` writes it."""
    config = cluster.config
    return subprocess.run(
        [
            str(postgres.bindir() / "pg_dumpall"),
            *("--host", config.addresses.database, "--port", str(config.postgres_port)),
            *("--username", config.postgres_user, "--no-password"),
        ],
        env={**os.environ, "PGPASSWORD": config.postgres_password},
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout


def _value(client: redis.Redis, key: bytes) -> list[bytes]:
    kind = client.type(key)
    if kind == b"string":
        return [client.get(key) or b""]
    if kind == b"list":
        return list(client.lrange(key, 0, -1))
    if kind == b"set":
        return list(client.smembers(key))
    if kind == b"zset":
        return [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
    if kind == b"hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == b"stream":
        entries = client.xrange(key)
        return [part for _, fields in entries for pair in fields.items() for part in pair]
    return []  # gone since the scan


def redis_contents(cluster: Cluster) -> dict[int, dict[bytes, list[bytes]]]:
    """Every key of every database of the cluster's Redis (SCAN) with its value, read by
    type as stored, not compressed as DUMP would give it."""
    port, host = cluster.config.redis_port, cluster.config.addresses.database
    server = redis.Redis(host=host, port=port)
    try:
        keyspace = server.info("keyspace")
    finally:
        server.close()
    contents: dict[int, dict[bytes, list[bytes]]] = {}
    for name in keyspace:  # "db0", "db1": the databases that hold keys
        client = redis.Redis(host=host, port=port, db=int(name[2:]))
        try:
            contents[int(name[2:])] = {key: _value(client, key) for key in client.scan_iter()}
        finally:
            client.close()
    return contents


def assert_every_turn_kept(run: dict[str, Any]) -> None:
    """A crash run's figures (cluster/crash.py): the fault passed, and no learner saw a
    failed turn; each conversation's user turns are stored exactly as sent (no gap, no
    duplicate, same order), and each code mail and ticket request was made once."""
    assert "recovered_at_s" in run, "the failed processes did not come back"
    assert run["conversations"] >= run["learners"]
    assert run["failed_turns_seen"] == 0, run["failure_examples"]
    assert run["conversations_differing"] == 0, run["differing_examples"]
    assert run["user_turns_stored_twice"] == 0
    assert run["mails_made_twice"] == 0 and run["mails_missing"] == 0
    assert run["tickets_made_twice"] == 0
