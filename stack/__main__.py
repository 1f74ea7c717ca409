"""`python -m stack run` (the whole assistant), `python -m stack shell` (chat in a terminal)
or `python -m stack services` (what the Rasa CLI needs beside it).

Both start the programs under supervisord (stack.supervisor): a program that exits is
started again while the others go on answering. Ctrl-C, SIGTERM or a closed terminal
stops everything, and a launcher killed outright takes supervisord and every program
with it. The programs write to log files (var/logs/), so the terminal stays readable.

Their keys and tokens are generated on the first start into var/secrets.env (mode 600) and
never printed. DEMO_MODE=1 (the default) adds the demo mailbox, which shows the mail sent
to any address: for local demos only; DEMO_MODE=0 leaves it out.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path
from types import FrameType

from common.demo import demo_mode
from stack.processes import Stack, StackConfig, free_port
from stack.shell import ctrl_c_interrupts
from stack.supervisor import RPC_ERRORS

# How often the launcher looks at the programs' states.
WATCH_INTERVAL = 1.0


# What the Rasa CLI needs running beside it (`make services`): the committed endpoints.yml
# points `rasa shell`, `rasa interactive` and `rasa run` to this action server.
SERVICES = ("account-service", "action-server")
SERVICES_BANNER = (
    "The account service and the action server ({action_url}, as endpoints.yml says) are "
    "running.\nIn another terminal, from this directory: .venv/bin/rasa shell (or rasa "
    "interactive, rasa run).\nPress Ctrl-C to stop them.\n"
)


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
    """`run` and `shell` serve the page too: the shell's learner can get a support agent,
    who works at the page's /desk."""
    demo = demo_mode(os.environ, default=True)
    with_page = mode in ("run", "shell")
    if beside is None:
        return StackConfig(web_port=8080 if with_page else None, demo_mode=demo)
    web_port = free_port() if with_page else None
    return StackConfig.on_free_ports(beside, web_port=web_port, demo_mode=demo)


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
        f"  account service: {config.account_url} (header X-API-Key: ACCOUNT_SERVICE_API_KEY"
        " in the secrets file)\n"
        f"  secrets:   {config.secrets_path} (mode 600)\n"
        f"  {demo_line(config)}\n"
        f"  logs:      {config.logs}/\n"
        "Press Ctrl-C to stop everything.\n"
    )


def demo_line(config: StackConfig) -> str:
    if not config.demo_mode:
        return "demo mode: off (no mailbox, no /outbox)"
    return (
        "demo mode: on, the page's mailbox shows the mail sent to any address; "
        "local demos only (make run DEMO_MODE=0 turns it off)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["run", "shell", "services"])
    parser.add_argument(
        "--beside",
        type=Path,
        metavar="VAR_DIR",
        help="run on free ports with its data and logs in VAR_DIR (beside another copy); "
        "writes the ports to VAR_DIR/ports.json and prints them as one JSON line",
    )
    args = parser.parse_args()
    ctrl_c_interrupts()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    try:
        config = config_for(args.mode, args.beside)
    except ValueError as problem:
        parser.error(str(problem))
    stack = Stack(config)
    try:
        if args.mode == "services":
            print("Starting the account service and the action server ...", flush=True)
            stack.start(SERVICES)
            describe(stack, args.beside)
            print(SERVICES_BANNER.format(action_url=config.action_url), flush=True)
            watch(stack)
            return
        print("Starting the assistant (about a minute) ...", flush=True)
        stack.start()
        describe(stack, args.beside)
        if args.mode == "shell":
            from stack.shell import converse

            print(f"Support agents can join this chat from {config.web_url}/desk.", flush=True)
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
