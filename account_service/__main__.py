"""Command line entry point: ``python -m account_service``.

Flags override the ACCOUNT_SERVICE_* environment variables, which override the
defaults; the default host is localhost so the mock is never exposed by accident.
There is no default key: ACCOUNT_SERVICE_API_KEY must be set (the launchers take it from
var/secrets.env). DEMO_MODE=1 adds the demo `/outbox`; unset or 0, there is none.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from account_service.app import SafeAccessLogger, create_app
from account_service.desk import DeskSettings
from common.demo import demo_mode

DEFAULT_SEED = Path(__file__).with_name("seed.json")
NO_KEY = (
    "ACCOUNT_SERVICE_API_KEY is not set: the account service does not start without a key. "
    "`make run` sets it from var/secrets.env; started alone, set it yourself."
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m account_service", description="Run the mock account service."
    )
    parser.add_argument("--host", default=os.environ.get("ACCOUNT_SERVICE_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("ACCOUNT_SERVICE_PORT", "8001"))
    )
    parser.add_argument("--db", default=os.environ.get("ACCOUNT_SERVICE_DB", "var/accounts.db"))
    parser.add_argument("--seed", default=str(DEFAULT_SEED), help="fixture JSON to load")
    parser.add_argument("--no-seed", action="store_true", help="start without loading the fixture")
    parser.add_argument(
        "--public-url",
        default=None,
        help="base of the links put in mails (default: http://HOST:PORT)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    api_key = os.environ.get("ACCOUNT_SERVICE_API_KEY", "")
    if not api_key:
        sys.exit(NO_KEY)
    try:
        demo = demo_mode()
        limits_scale = float(os.environ.get("ACCOUNT_LIMITS_SCALE", "1"))
        desk_settings = DeskSettings.from_env()
    except ValueError as problem:
        sys.exit(str(problem))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    host_for_links = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::1") else args.host
    public_url = args.public_url or f"http://{host_for_links}:{args.port}"
    app = create_app(
        db_path=args.db,
        api_key=api_key,
        seed_path=None if args.no_seed else args.seed,
        public_url=public_url,
        demo_mode=demo,
        limits_scale=limits_scale,
        desk_settings=desk_settings,
    )
    logging.getLogger("account_service").info("listening on http://%s:%s", args.host, args.port)
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log_class=SafeAccessLogger,
        print=None,
    )


if __name__ == "__main__":
    main()
