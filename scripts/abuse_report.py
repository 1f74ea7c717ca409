"""`make abuse-report`: what an abuser gets out of the account service, measured.

Each scenario drives the real service app (in-process, its clock moved by hand, so an
hour passes in no time) the way docs/security.md describes the threat, and counts what
the abuser achieved: mails delivered to a victim, wrong codes the service checked, tickets
opened, and whether reply times tell registered addresses apart. With `--before REV`
the same scenarios also run against the service as it was at REV (a `git archive` copy),
so the report shows before and after side by side.

Only the account service's HTTP API is used, and only what both versions accept.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import inspect
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from io import BytesIO
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from scipy.stats import mannwhitneyu

ROOT = Path(__file__).resolve().parent.parent
VICTIM = "ana.silva@example.com"  # a seeded persona: registered, password account
UNVERIFIED = "chloe.martin@outlook.com"  # registered, email not verified
STRANGER = "nobody.here@example.org"  # not registered
KEY = "abuse-report-key"
DAY = 24 * 3600
TIMED_REQUESTS = 200


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Service:
    """The service app of whichever tree is first on sys.path, on a test server."""

    def __init__(self, directory: Path) -> None:
        import account_service
        from account_service.app import create_app

        self.clock = Clock()
        seed = Path(account_service.__file__).parent / "seed.json"
        options: dict[str, Any] = {"seed_path": seed}
        if "demo_mode" in inspect.signature(create_app).parameters:
            options["demo_mode"] = True
        app = create_app(directory / "accounts.db", api_key=KEY, clock=self.clock, **options)
        self.client = TestClient(TestServer(app))

    async def __aenter__(self) -> Service:
        await self.client.start_server()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.close()

    async def call(
        self, method: str, path: str, body: Any = None, key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"X-API-Key": KEY, **({"Idempotency-Key": key} if key else {})}
        response = await self.client.request(method, path, json=body, headers=headers)
        text = await response.text()
        return response.status, json.loads(text) if text else None

    async def mail(
        self, path: str, email: str, conversation: str, client: str, key: str | None = None
    ) -> int:
        body = {"email": email, "conversation_id": conversation, "client": client}
        return (await self.call("POST", path, body, key))[0]

    async def mails_to(self, address: str) -> int:
        status, body = await self.call("GET", f"/outbox?to={urllib.parse.quote(address)}")
        assert status == 200, body
        return len(body)

    async def wrong_code(self, email: str, conversation: str, client: str) -> bool:
        """One wrong guess, waiting out any pause; True when the service checked it."""
        body = {"email": email, "code": "000001", "conversation_id": conversation}
        body["client"] = client
        while True:
            status, answer = await self.call("POST", "/codes/verify", body)
            if status == 429 and answer.get("error") == "slow_down":
                self.clock.now += answer["retry_after_seconds"]
                continue
            return status == 200 and answer.get("status") in ("wrong_code", "too_many_attempts")


async def mail_cannon(directory: Path, clients: int) -> int:
    """25 throwaway conversations each ask for a code and a reset for one victim."""
    async with Service(directory) as service:
        for index in range(25):
            client = f"{index % clients:016x}"
            for path in ("/codes", "/password-reset"):
                await service.mail(path, VICTIM, f"throwaway-{index}", client)
            service.clock.now += 60
        return await service.mails_to(VICTIM)


async def guesses(directory: Path, spread: str) -> int:
    """Wrong codes the service checks within an hour, for one address, one conversation or
    one client; each attacker conversation asks for a code and guesses three times."""
    checked = 0
    async with Service(directory) as service:
        for index in range(20):
            address = VICTIM if spread == "address" else f"target{index}@example.org"
            conversation = "one" if spread == "conversation" else f"guess-{index}"
            client = "0123456789abcdef" if spread == "client" else f"{index:016x}"
            await service.mail("/codes", address, conversation, client)
            for _ in range(3):
                checked += await service.wrong_code(address, conversation, client)
            if spread == "address":  # "forget me" after each attempt
                await service.call("DELETE", f"/conversations/{conversation}")
    return checked


def gmail_spellings(count: int) -> list[str]:
    """`count` different spellings of the one inbox of ana.silva@gmail.com: dots, +tags,
    case and the googlemail.com domain."""
    spellings = []
    for index in range(count):
        cut = 1 + index % 7
        name = "anasilva"[:cut] + "." + "anasilva"[cut:]
        domain = "googlemail.com" if index % 2 else "gmail.com"
        spellings.append(f"{name.upper() if index % 3 == 0 else name}+{index}@{domain}")
    return spellings


async def spellings_of_one_inbox(directory: Path) -> int:
    """Forty spellings of one Gmail inbox, each from its own client and conversation, half an
    hour apart: mails that reach the inbox in a day."""
    spellings = gmail_spellings(40)
    async with Service(directory) as service:
        for index, spelling in enumerate(spellings):
            for path in ("/codes", "/password-reset"):
                await service.mail(path, spelling, f"spelling-{index}", f"{100 + index:016x}")
            service.clock.now += 30 * 60
        return sum([await service.mails_to(spelling) for spelling in spellings])


async def owner_after_guesses(directory: Path) -> bool:
    """An attacker asks for two codes to the owner's address and types six wrong codes; then
    the owner, in their own conversation from another client, asks for a code and types it.
    True when the owner gets in."""
    async with Service(directory) as service:
        for index in range(2):
            await service.mail("/codes", VICTIM, f"attacker-{index}", "00000000000000aa")
            for _ in range(3):
                await service.wrong_code(VICTIM, f"attacker-{index}", "00000000000000aa")
        await service.mail("/codes", VICTIM, "owner", "00000000000000bb")
        _, mails = await service.call("GET", f"/outbox?to={VICTIM}")
        # The newest mail's code, read as the owner would (the older tree has no helper).
        code = re.findall(r"\b\d{6}\b", str(mails[-1].get("body")))[-1]
        body = {"email": VICTIM, "code": code, "conversation_id": "owner"}
        status, answer = await service.call(
            "POST", "/codes/verify", {**body, "client": "00000000000000bb"}
        )
        return status == 200 and answer.get("status") == "verified"


async def tickets(directory: Path) -> int:
    """Ten "talk to a person" in one conversation."""
    numbers = set()
    async with Service(directory) as service:
        for _ in range(10):
            body = {"conversation_id": "one", "topic": "login", "transcript": []}
            numbers.add((await service.call("POST", "/tickets", body))[1].get("ticket_id"))
    return len(numbers)


async def timing(directory: Path, path: str, registered: str, keyed: bool) -> dict[str, Any]:
    """Reply times for a registered and an unregistered address, 100 each, in a shuffled
    order (in turn, each unregistered request would follow a registered one whose mail is
    written after its answer, and the figure would measure its own order)."""
    personas = [True, False] * (TIMED_REQUESTS // 2)
    random.Random(2024).shuffle(personas)
    times: dict[bool, list[float]] = {True: [], False: []}
    async with Service(directory) as service:
        for index, is_registered in enumerate([False] * 10 + personas):  # 10 to warm up
            service.clock.now += DAY  # a fresh mail budget for every request
            address = registered if is_registered else STRANGER
            key = f"timing-{index}" if keyed else None
            started = time.perf_counter()
            await service.mail(path, address, f"timing-{index}", f"{index:016x}", key)
            if index >= 10:
                times[is_registered].append(time.perf_counter() - started)
    registered_median = statistics.median(times[True])
    unregistered_median = statistics.median(times[False])
    p_value = float(mannwhitneyu(times[True], times[False]).pvalue)
    # A real difference shows in the medians and in the test; one run in a hundred differs
    # by chance at this threshold, so a failing figure is measured again before it counts.
    close = abs(registered_median - unregistered_median) <= 0.2 * min(
        registered_median, unregistered_median
    )
    return {
        "registered_median_ms": round(registered_median * 1000, 3),
        "unregistered_median_ms": round(unregistered_median * 1000, 3),
        "mann_whitney_p": float(f"{p_value:.2g}"),
        "indistinguishable": close and p_value >= 0.01,
    }


async def timing_checked(directory: Path, path: str, registered: str, keyed: bool) -> Any:
    """The timing figure, taken a second time (in a fresh service) when the first differs."""
    for attempt in ("first", "again"):
        (directory / attempt).mkdir()
        figure = await timing(directory / attempt, path, registered, keyed)
        if figure["indistinguishable"]:
            break
    return figure


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)

        def fresh(name: str) -> Path:
            (base / name).mkdir()
            return base / name

        return {
            "mails_to_victim_from_25_conversations_one_client": await mail_cannon(
                fresh("cannon-1"), 1
            ),
            "mails_to_victim_from_25_conversations_25_clients": await mail_cannon(
                fresh("cannon-25"), 25
            ),
            "mails_to_one_gmail_inbox_from_40_spellings_and_clients_in_a_day": (
                await spellings_of_one_inbox(fresh("spellings"))
            ),
            "owner_gets_in_after_2_codes_and_6_wrong_codes_by_an_attacker": (
                await owner_after_guesses(fresh("owner"))
            ),
            "wrong_codes_checked_per_hour_one_address": await guesses(fresh("g-a"), "address"),
            "wrong_codes_checked_per_hour_one_conversation": await guesses(
                fresh("g-c"), "conversation"
            ),
            "wrong_codes_checked_per_hour_one_client": await guesses(fresh("g-k"), "client"),
            "tickets_from_10_requests_in_one_conversation": await tickets(fresh("tickets")),
            **{
                f"timing_{name}{' with idempotency key' if keyed else ''}": (
                    await timing_checked(fresh(f"t-{name}-{keyed}"), path, registered, keyed)
                )
                for name, path, registered in [
                    ("password_reset", "/password-reset", VICTIM),
                    ("verification_email", "/verification-email", UNVERIFIED),
                ]
                for keyed in (False, True)
            },
        }


def measure_at(revision: str) -> dict[str, Any]:
    """The same scenarios against the service as it was at `revision`, in a child process
    whose import path starts with a copy of that tree."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(fileobj=BytesIO(archive)) as tree:
            tree.extractall(scratch)
        env = {**os.environ, "PYTHONPATH": scratch}
        output = subprocess.run(
            [sys.executable, __file__, "--json"], env=env, check=True, capture_output=True
        ).stdout
    return dict(json.loads(output))


def markdown(report: dict[str, Any]) -> str:
    after, befores = report["after"], report.get("before", {})
    lines = [
        f"# Abuse figures ({report['date']})",
        "",
        f"Written by `make abuse-report` at commit {report['commit']}; scenarios in "
        "scripts/abuse_report.py, threats in docs/security.md.",
        "",
        "| scenario | " + "".join(f"at {revision} | " for revision in befores) + "now |",
        "| --- | " + "--- | " * len(befores) + "--- |",
    ]
    for name, value in after.items():
        row = [name.replace("_", " "), *(json.dumps(b.get(name)) for b in befores.values())]
        lines.append("| " + " | ".join([*row, json.dumps(value)]) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--before", metavar="REV", action="append", default=[], help="also measure at REV"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "abuse")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(asyncio.run(measure())))
        return
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit.strip(),
        "after": asyncio.run(measure()),
    }
    if args.before:
        report["before"] = {revision: measure_at(revision) for revision in args.before}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    leaks = [
        name
        for name, figure in report["after"].items()
        if name.startswith("timing") and not figure["indistinguishable"]
    ]
    if leaks:
        sys.exit(f"Reply times tell registered addresses apart: {', '.join(leaks)}")


if __name__ == "__main__":
    main()
