"""`python -m stack run` (the whole assistant) or `python -m stack shell` (chat in a terminal)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

from stack.processes import ROOT, Stack, StackConfig


def wait_for_interrupt(stack: Stack) -> None:
    """Blocks until Ctrl-C or until one of the processes dies."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                print(f"{name} stopped (exit code {process.returncode}); shutting down.")
                return
        try:
            signal.sigtimedwait([signal.SIGINT], 1.0)
        except KeyboardInterrupt:
            return
        except InterruptedError:
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["run", "shell"])
    mode = parser.parse_args().mode
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
        stack.start_web()
        print(
            "\nThe assistant is up.\n"
            f"  Help page with the chat widget: {config.web_url}\n"
            f"  REST:      POST {config.rasa_url}/webhooks/rest/webhook"
            ' {"sender": "me", "message": "hi"}\n'
            f"  socket.io: {config.rasa_url}/socket.io\n"
            f"  account service (demo outbox): {config.account_url}/outbox?to=<address>"
            f" (header X-API-Key: {config.api_key})\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        wait_for_interrupt(stack)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
