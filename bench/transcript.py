"""`python -m bench.transcript [script ...]`: prints each scripted conversation as it runs.

Useful to check that the scripts still follow the dialogue after the bot changes.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import aiohttp

from bench.conversations import SCRIPTS, LearnerFactory
from stack.learner import reply_texts
from stack.load import Driver
from stack.processes import ROOT, StackConfig, running


async def show(driver: Driver, names: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        for name in names:
            learner = driver.factory.next()
            while learner.script_name != name:
                learner = driver.factory.next()
            print(f"=== {name} ({learner.email})")
            chat = driver.chat(session, learner.sender)
            for template in learner.turns:
                text = learner.render(template)
                if "{code}" in text:
                    code = await chat.latest_code(learner.email)
                    text = text.replace("{code}", code or "<no code in outbox>")
                print(f"  > {text}")
                for reply in reply_texts(await chat.replies_to(text)):
                    print(f"    < {reply[:150]}")


def main() -> None:
    args = sys.argv[1:]
    model = Path(args.pop(0)) if args and args[0].endswith(".tar.gz") else ROOT / "models"
    names = args or list(SCRIPTS)
    with tempfile.TemporaryDirectory() as var_dir:
        config = StackConfig.on_free_ports(Path(var_dir), model=model)
        with running(config):
            driver = Driver(config, LearnerFactory("transcript", persona_every=10**9))
            asyncio.run(show(driver, names))


if __name__ == "__main__":
    main()
