"""Learners talking to one replica of a cluster, and their conversations as PostgreSQL
stores them."""

from __future__ import annotations

import json
from typing import Any

import psycopg2

from cluster.processes import Cluster
from stack.learner import Endpoints, RestLearner


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
    return [json.loads(row["data"]).get("text") for row in rows if row["type_name"] == "user"]
