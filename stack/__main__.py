"""`python -m stack run` (the whole assistant) or `python -m stack shell` (chat in a terminal).

Both start the programs under supervisord (stack.supervisor): a program that exits is
started again while the others go on answering. Ctrl-C, SIGTERM or a closed terminal
stops everything, and a launcher killed outright takes supervisord and every program
with it. The programs write to log files (var/logs/), so the terminal stays readable.
"""

from __future__ import annotations

import argparse
import json
import signal
import time
from pathlib import Path
from types import FrameType

from stack.processes import Stack, StackConfig, free_port
from stack.supervisor import RPC_ERRORS

# How often the launcher looks at the programs' states.
WATCH_INTERVAL = 1.0


def stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def watch(stack: Stack) -> None:
    """Reports programs that exit and come back, until supervisord itself ends."""
    supervisor = stack.supervisor
    seen: dict[str, str] | None = None
    while supervisor.process is not None and supervisor.process.poll() is None:
        try:
            states = supervisor.states()
        except RPC_ERRORS:
            continue
        for name, state in states.items():
            if seen is not None and state != seen.get(name):
                print(f"{name}: {state.lower()}", flush=True)
        seen = states
        time.sleep(WATCH_INTERVAL)
    raise SystemExit("supervisord stopped; the assistant is down.")


def config_for(mode: str, beside: Path | None) -> StackConfig:
    if beside is None:
        return StackConfig(web_port=8080 if mode == "run" else None)
    return StackConfig.on_free_ports(beside, web_port=free_port() if mode == "run" else None)


def describe(stack: Stack, beside: Path | None) -> None:
    config = stack.config
    if beside is not None:
        ports = {
            "rasa": config.rasa_port,
            "account": config.account_port,
            "action": config.action_port,
            "web": config.web_port,
        }
        (beside / "ports.json").write_text(json.dumps(ports))
        print(json.dumps({**ports, "pids": stack.pids()}), flush=True)


def banner(config: StackConfig) -> str:
    return (
        "\nThe assistant is up.\n"
        f"  Help page with the chat widget: {config.web_url}\n"
        f"  REST:      POST {config.rasa_url}/webhooks/rest/webhook"
        ' {"sender": "me", "message": "hi"}\n'
        f"  socket.io: {config.rasa_url}/socket.io\n"
        f"  account service (demo outbox): {config.account_url}/outbox?to=<address>"
        f" (header X-API-Key: {config.api_key})\n"
        f"  logs:      {config.logs}/\n"
        "Press Ctrl-C to stop everything.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["run", "shell"])
    parser.add_argument(
        "--beside",
        type=Path,
        metavar="VAR_DIR",
        help="run on free ports with its data and logs in VAR_DIR (beside another copy); "
        "writes the ports to VAR_DIR/ports.json and prints them as one JSON line",
    )
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    stack = Stack(config_for(args.mode, args.beside))
    try:
        print("Starting the assistant (about a minute) ...", flush=True)
        stack.start()
        describe(stack, args.beside)
        if args.mode == "shell":
            from stack.shell import converse

            converse(stack.config.rasa_url)
            return
        print(banner(stack.config), flush=True)
        watch(stack)
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
