"""`python -m stack run` (the whole assistant) or `python -m stack shell` (chat in a terminal).

`run` keeps the assistant up: a process that exits is started again (at once, then with a
growing delay if it keeps crashing), while the others go on answering; Ctrl-C, SIGTERM or
a closed terminal stops everything, and a launcher killed outright takes its children with
it (stack.processes.die_with_parent).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import time
from pathlib import Path
from types import FrameType

from stack.processes import ROOT, Backoff, Stack, StackConfig

# How often the launcher looks for a process that exited.
WATCH_INTERVAL = 0.5


def stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def supervise(stack: Stack) -> None:
    """Restarts any process that exits, until Ctrl-C, SIGTERM or SIGHUP."""
    backoff = Backoff()
    while True:
        stack.restart_exited(backoff)
        time.sleep(WATCH_INTERVAL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["run", "shell"])
    parser.add_argument(
        "--beside",
        type=Path,
        metavar="VAR_DIR",
        help="run on free ports with its data in VAR_DIR (beside another copy); "
        "prints the ports as one JSON line",
    )
    args = parser.parse_args()
    mode = args.mode
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    if args.beside:
        config = StackConfig.on_free_ports(args.beside, log_dir=args.beside / "logs", web_port=None)
    else:
        config = StackConfig(web_port=8080)
    stack = Stack(config)
    try:
        stack.start_account_service()
        stack.start_action_server()
        if mode == "shell":
            subprocess.run(
                [
                    str(ROOT / ".venv/bin/rasa"),
                    "shell",
                    "--model",
                    str(config.model),
                    "--endpoints",
                    str(config.write_endpoints()),
                ],
                cwd=ROOT,
                env=config.environment(),
                check=False,
            )
            return
        stack.start_rasa()
        if config.web_port is not None:
            stack.start_web()
        if args.beside:
            ports = {
                "rasa": config.rasa_port,
                "account": config.account_port,
                "action": config.action_port,
            }
            print(json.dumps({**ports, "pids": {n: p.pid for n, p in stack.processes.items()}}))
        print(
            "\nThe assistant is up.\n"
            f"  Help page with the chat widget: {config.web_url if config.web_port else '-'}\n"
            f"  REST:      POST {config.rasa_url}/webhooks/rest/webhook"
            ' {"sender": "me", "message": "hi"}\n'
            f"  socket.io: {config.rasa_url}/socket.io\n"
            f"  account service (demo outbox): {config.account_url}/outbox?to=<address>"
            f" (header X-API-Key: {config.api_key})\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        supervise(stack)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
