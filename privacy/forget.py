"""`python -m privacy.forget SENDER` (or `make forget SENDER=<id>`): forget one conversation.

Deletes the conversation's events from the SQL tracker store (and the support insights'
summary rows made from them) and everything the
account service holds for it (mails, codes, tokens, tickets). Other conversations are
left as they are. The tracker store and the account service come from the environment
(TRACKER_DB, ACCOUNT_SERVICE_URL, ACCOUNT_SERVICE_API_KEY) or the options; without either,
the key is the one `make run` generated in var/secrets.env. TRACKER_DB is
the path of a SQLite file or a SQLAlchemy URL (e.g. the cluster's
postgresql://user:password@127.0.0.1:6432/rasa).

`--cluster` (`make forget SENDER=<id> CLUSTER=1`) forgets in a running `make cluster`
instead: its PostgreSQL tracker store and its account service, with the ports it was
started with and its own secrets (var/cluster, or $CLUSTER_VAR_DIR). Its Redis needs
nothing: rate-limit windows are keyed by hashes (rasa_addons/channels/guard.py) and a
conversation's lock lives only while one of its messages is handled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

from actions.account_client import AccountClient, AccountServiceUnavailable, MissingApiKey
from insights.summary import forget_sender as forget_insights
from stack.secrets import secrets_path, stored

DEFAULT_TRACKER_DB = "var/tracker.db"
DEFAULT_VAR_DIR = Path("var")
DEFAULT_CLUSTER_VAR_DIR = Path("var") / "cluster"
KEY = "ACCOUNT_SERVICE_API_KEY"


@dataclass(frozen=True)
class Forgotten:
    tracker_events: int
    account_records: dict[str, int]


def tracker_url(db: str) -> str | None:
    """A SQLAlchemy URL for a SQLite path or URL; None for a SQLite file that isn't there."""
    if "://" in db:
        return db
    path = Path(db)
    return f"sqlite:///{path.resolve()}" if path.exists() else None


# Tries at emptying SQLite's write-ahead log while a reader holds it, each waiting up to
# CHECKPOINT_WAIT_MS for the reader (SQLite's busy handler).
CHECKPOINT_TRIES = 25
CHECKPOINT_WAIT_MS = 200


class WriteAheadLogBusy(RuntimeError):
    """The deleted rows are still in the database file."""


def empty_write_ahead_log(engine: sqlalchemy.engine.Engine) -> None:
    """Copies the deleted (overwritten) pages into the database file and empties the log.
    Until then the file still holds the pages as they were. A checkpoint is partial while
    another connection (the Rasa server's) is reading: it is tried again, and a log that
    cannot be emptied fails the command, so the deletion is never reported as done."""
    for _ in range(CHECKPOINT_TRIES):
        with engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            busy, *_ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return
    raise WriteAheadLogBusy(
        "The conversation's rows are deleted, but their old pages are still in the database "
        "file: the server kept its write-ahead log busy. Run the command again."
    )


def forget_tracker(db: str, sender_id: str) -> int:
    """Deletes the sender's tracker events; returns how many there were."""
    url = tracker_url(db)
    if url is None:
        return 0
    engine = sqlalchemy.create_engine(url)
    try:
        if not sqlalchemy.inspect(engine).has_table("events"):
            return 0
        sqlite = engine.dialect.name == "sqlite"
        with engine.begin() as connection:
            if sqlite:  # deleted rows overwritten, not left in free pages
                connection.exec_driver_sql("PRAGMA secure_delete = ON")
            # The support insights' summary rows of this conversation go with it.
            forget_insights(connection, sender_id)
            result = connection.execute(
                sqlalchemy.text("DELETE FROM events WHERE sender_id = :sender"),
                {"sender": sender_id},
            )
        if sqlite:
            empty_write_ahead_log(engine)
        return int(result.rowcount)
    finally:
        engine.dispose()


async def forget_account_records(client: AccountClient, sender_id: str) -> dict[str, int]:
    try:
        return await client.forget_conversation(sender_id)
    finally:
        await client.close()


def forget(sender_id: str, db: str, client: AccountClient) -> Forgotten:
    """Both deletions; the account service first, so a failure there leaves the tracker whole
    and the command can simply be run again."""
    records = asyncio.run(forget_account_records(client, sender_id))
    return Forgotten(tracker_events=forget_tracker(db, sender_id), account_records=records)


def cluster_settings(var_dir: Path, environ: dict[str, str]) -> str:
    """Points `environ` at a running cluster's account service (URL and key); returns its
    tracker store's URL, password included. The keys are read as the cluster's programs
    read them: from the environment, else the cluster's secrets file."""
    from cluster.config import ClusterConfig

    config = ClusterConfig.saved(var_dir)
    environ["ACCOUNT_SERVICE_URL"] = config.account_url
    environ[KEY] = config.api_key
    url = sqlalchemy.engine.make_url(config.postgres_url).set(password=config.postgres_password)
    return url.render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sender", help="the conversation (sender) id to forget")
    parser.add_argument(
        "--tracker-db",
        default=os.environ.get("TRACKER_DB") or DEFAULT_TRACKER_DB,
        help="SQLite file or SQLAlchemy URL of the tracker store "
        "(default: $TRACKER_DB or var/tracker.db)",
    )
    parser.add_argument("--account-service", help="base URL (default: $ACCOUNT_SERVICE_URL)")
    parser.add_argument("--api-key", help="account service key (default: $ACCOUNT_SERVICE_API_KEY)")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="forget in the running `make cluster` (its PostgreSQL and account service; "
        "its directory: $CLUSTER_VAR_DIR or var/cluster)",
    )
    args = parser.parse_args(argv)
    if not args.sender.strip():
        parser.error("SENDER must not be empty")
    environ = dict(os.environ)
    if args.cluster:
        var_dir = Path(environ.get("CLUSTER_VAR_DIR") or DEFAULT_CLUSTER_VAR_DIR)
        try:
            args.tracker_db = cluster_settings(var_dir, environ)
        except FileNotFoundError as problem:
            parser.error(f"{problem}: start it with `make cluster`")
    if args.account_service:
        environ["ACCOUNT_SERVICE_URL"] = args.account_service
    environ[KEY] = (
        args.api_key or environ.get(KEY) or stored(secrets_path(DEFAULT_VAR_DIR)).get(KEY, "")
    )
    try:
        client = AccountClient.from_env(environ)
    except MissingApiKey as problem:
        parser.error(str(problem))
    try:
        result = forget(args.sender, args.tracker_db, client)
    except WriteAheadLogBusy as problem:
        print(problem, file=sys.stderr)
        return 1
    except AccountServiceUnavailable:
        print(
            f"Could not reach the account service at {client.base_url}; nothing was deleted. "
            "Start it (make run) or point ACCOUNT_SERVICE_URL at it, then run this again.",
            file=sys.stderr,
        )
        return 1
    records = ", ".join(f"{count} {kind}" for kind, count in result.account_records.items())
    print(
        f"Forgot conversation {args.sender!r}: {result.tracker_events} tracker events "
        f"from the tracker store; account service: {records or 'nothing'}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
