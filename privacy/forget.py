"""`python -m privacy.forget SENDER` (or `make forget SENDER=<id>`): forget one conversation.

Deletes the conversation's events from the SQLite tracker store and everything the
account service holds for it (mails, codes, tokens, tickets). Other conversations are
left as they are. The tracker database and the account service come from the
environment (TRACKER_DB, ACCOUNT_SERVICE_URL, ACCOUNT_SERVICE_API_KEY) or the options.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from actions.account_client import AccountClient, AccountServiceUnavailable

DEFAULT_TRACKER_DB = Path("var/tracker.db")


@dataclass(frozen=True)
class Forgotten:
    tracker_events: int
    account_records: dict[str, int]


def forget_tracker(db_path: Path, sender_id: str) -> int:
    """Deletes the sender's tracker events; returns how many there were."""
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "events" not in tables:
            return 0
        cursor = connection.execute("DELETE FROM events WHERE sender_id = ?", (sender_id,))
        return int(cursor.rowcount)


async def forget_account_records(client: AccountClient, sender_id: str) -> dict[str, int]:
    try:
        return await client.forget_conversation(sender_id)
    finally:
        await client.close()


def forget(sender_id: str, db_path: Path, client: AccountClient) -> Forgotten:
    """Both deletions; the account service first, so a failure there leaves the tracker whole
    and the command can simply be run again."""
    records = asyncio.run(forget_account_records(client, sender_id))
    return Forgotten(tracker_events=forget_tracker(db_path, sender_id), account_records=records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sender", help="the conversation (sender) id to forget")
    parser.add_argument(
        "--tracker-db",
        type=Path,
        default=Path(os.environ.get("TRACKER_DB", DEFAULT_TRACKER_DB)),
        help="SQLite tracker store (default: $TRACKER_DB or var/tracker.db)",
    )
    parser.add_argument("--account-service", help="base URL (default: $ACCOUNT_SERVICE_URL)")
    parser.add_argument("--api-key", help="account service key (default: $ACCOUNT_SERVICE_API_KEY)")
    args = parser.parse_args(argv)
    if not args.sender.strip():
        parser.error("SENDER must not be empty")
    client = AccountClient.from_env()
    if args.account_service or args.api_key:
        client = AccountClient(
            args.account_service or client.base_url,
            args.api_key or os.environ.get("ACCOUNT_SERVICE_API_KEY", "dev-key"),
        )
    try:
        result = forget(args.sender, args.tracker_db, client)
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
        f"from {args.tracker_db}; account service: {records or 'nothing'}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
