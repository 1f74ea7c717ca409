"""A whole cluster (PostgreSQL, Redis, nginx, 2 action servers, 2 Rasa replicas) per module.

Started with the same code as `make cluster`, on free ports, in its own directory under
var/ (the PostgreSQL server user must be able to reach its data directory, which rules
out pytest's private temporary directory when running as root).
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from cluster.processes import ROOT, Cluster, ClusterConfig, remove_files, running

CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not (ROOT / "models" / "accounts.tar.gz").exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir = ROOT / "var" / "cluster-tests" / uuid.uuid4().hex[:8]
    config = ClusterConfig.on_free_ports(var_dir)
    try:
        with running(config) as started:
            yield started
    finally:
        # The logs of the last run stay for reading; everything else goes.
        kept = ROOT / "var" / "cluster-tests" / "last-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(var_dir / "logs", kept, dirs_exist_ok=True)
        remove_files(config)


def post_json(url: str, payload: Any, timeout: float = 120) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def say(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    return list(post_json(f"{base_url}/webhooks/rest/webhook", {"sender": sender, "message": text}))


def latest_code(cluster: Cluster, address: str) -> str:
    config = cluster.config
    request = urllib.request.Request(
        f"{config.account_url}/outbox?to={urllib.parse.quote(address)}",
        headers={"X-API-Key": config.api_key},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        mails = json.loads(response.read())
    codes = [match.group(1) for mail in mails if (match := CODE.search(mail["body"]))]
    assert codes, f"no code in the outbox of {address}"
    return codes[-1]


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
