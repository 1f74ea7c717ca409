"""Floods, oversized bodies and forged metadata on the REST channel of a stack that runs
as in production: the webhook needs its token, and it sits behind a trusted proxy that
names each client in X-Forwarded-For."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from rasa_addons.channels.guard import PER_CLIENT_LIMITS, PER_SENDER_LIMITS, RATE_LIMITED_REPLY
from stack.learner import client_headers, message, new_sender, tracker_events, webhook_url
from stack.processes import ROOT, Stack, StackConfig, running

TOKEN = "flood-test-token"
CLIENT_ID_KEY = "flood-test-client-key"
FLOOD = 150
FLOODER = "10.0.0.1"
BYSTANDER = "10.0.0.2"


@pytest.fixture(scope="module")
def guarded_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (ROOT / "models" / "accounts.tar.gz").exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir = tmp_path_factory.mktemp("guarded-stack")
    config = StackConfig.on_free_ports(
        var_dir,
        log_dir=var_dir / "logs",
        demo_mode=False,
        extra_env={
            "REST_CHANNEL_TOKEN": TOKEN,
            "CLIENT_ID_KEY": CLIENT_ID_KEY,
        },
    )
    with running(config) as stack:
        yield stack


class Client:
    """One client address talking to the webhook with the token."""

    def __init__(self, session: aiohttp.ClientSession, stack: Stack, address: str) -> None:
        self.session = session
        self.url = webhook_url(stack.config.rasa_url)
        self.headers = {**client_headers(address), "Authorization": f"Bearer {TOKEN}"}

    async def post(self, sender: str, text: str) -> tuple[int, Any, str | None]:
        """Status, parsed body and Retry-After of one message."""
        async with self.session.post(
            self.url, json=message(sender, text), headers=self.headers
        ) as response:
            body = json.loads(await response.read() or b"null")
            return response.status, body, response.headers.get("Retry-After")


async def wait_out(retry_after: str | None) -> None:
    assert retry_after is not None and 1 <= int(retry_after) <= 60, retry_after
    await asyncio.sleep(int(retry_after) + 0.5)


def assert_refused(answer: tuple[int, Any, str | None]) -> None:
    status, body, retry_after = answer
    assert status == 429
    assert [reply["text"] for reply in body] == [RATE_LIMITED_REPLY]
    assert retry_after is not None and int(retry_after) >= 1


async def test_a_flooding_client_does_not_crowd_out_others(guarded_stack: Stack) -> None:
    # No cap on open connections: all of the flood is sent at once, the bystander too.
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=120), connector=aiohttp.TCPConnector(limit=0)
    ) as session:
        flooder = Client(session, guarded_stack, FLOODER)
        bystander = Client(session, guarded_stack, BYSTANDER)
        flood = [
            asyncio.ensure_future(flooder.post(new_sender("flood"), "hi")) for _ in range(FLOOD)
        ]
        await asyncio.sleep(0.05)  # the flood is on its way
        status, body, _ = await bystander.post(new_sender("bystander"), "hi")
        answers = await asyncio.gather(*flood)

        refused = [answer for answer in answers if answer[0] == 429]
        assert status == 200 and "What's going on?" in "\n".join(r["text"] for r in body)
        assert {answer[0] for answer in answers} == {200, 429}
        assert len(refused) == FLOOD - PER_CLIENT_LIMITS[0].amount
        for answer in refused:
            assert_refused(answer)

        # Refused messages were never handed to Rasa.
        await wait_out(max(answer[2] or "0" for answer in refused))
        sender = new_sender("flooder-again")
        status, body, _ = await flooder.post(sender, "hi")
        assert status == 200 and "What's going on?" in body[0]["text"]
        assert len(tracker_events(guarded_stack.config.tracker_db, sender)) > 0


async def test_one_conversation_is_limited_on_its_own(guarded_stack: Stack) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        client = Client(session, guarded_stack, "10.0.0.3")
        sender = new_sender("chatty")
        burst = PER_SENDER_LIMITS[0].amount
        answers = await asyncio.gather(*(client.post(sender, "hi") for _ in range(burst + 5)))
        assert sorted(answer[0] for answer in answers) == [200] * burst + [429] * 5
        for answer in answers:
            if answer[0] == 429:
                assert_refused(answer)
        users = [kind for kind, _ in tracker_events(guarded_stack.config.tracker_db, sender)]
        assert users.count("user") == burst
        # The same client, in another conversation, is still answered.
        status, body, _ = await client.post(new_sender("other"), "hi")
        assert status == 200 and body
        await wait_out(next(answer[2] for answer in answers if answer[0] == 429))
        status, body, _ = await client.post(sender, "hi")
        assert status == 200 and body


async def test_the_webhook_needs_its_token(guarded_stack: Stack) -> None:
    url = webhook_url(guarded_stack.config.rasa_url)
    body = message(new_sender("no-token"), "hi")
    async with aiohttp.ClientSession() as session:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": TOKEN},
            {"Authorization": "Bearer tökén-ñ"},  # non-ASCII: a refusal, not a 500
        ):
            async with session.post(url, json=body, headers=headers) as response:
                assert response.status == 401
        good = Client(session, guarded_stack, "10.0.0.4")
        status, replies, _ = await good.post(body["sender"], "hi")
        assert status == 200 and replies


async def test_metadata_is_only_the_client_id(guarded_stack: Stack) -> None:
    sender = new_sender("metadata")
    forged = {"client": "forged", "big": "x" * 20_000, "nested": {"verified_email": "a@b.c"}}
    async with aiohttp.ClientSession() as session:
        client = Client(session, guarded_stack, "10.0.0.5")
        async with session.post(
            client.url,
            json={**message(sender, "hi"), "metadata": forged},
            headers=client.headers,
        ) as response:
            assert response.status == 200
    expected = hmac.new(CLIENT_ID_KEY.encode(), b"10.0.0.5", hashlib.sha256).hexdigest()[:16]
    users = [
        json.loads(data)
        for kind, data in tracker_events(guarded_stack.config.tracker_db, sender)
        if kind == "user"
    ]
    # Rasa adds which model and assistant handled it; nothing the client sent is kept.
    [stored] = [user["metadata"] for user in users]
    assert stored.pop("client") == expected
    assert set(stored) == {"model_id", "assistant_id"}


def stored_client(stack: Stack, sender: str) -> str:
    [stored] = [
        json.loads(data)["metadata"]["client"]
        for kind, data in tracker_events(stack.config.tracker_db, sender)
        if kind == "user"
    ]
    return str(stored)


async def test_an_ipv6_network_is_one_client(guarded_stack: Stack) -> None:
    """Every address of one IPv6 /64 is counted as one client (its holder can use any of
    them); an IPv4-mapped address is its IPv4 address."""
    addresses = {
        "one /64": ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:DB8:1:2::abcd"],
        "next /64": ["2001:db8:1:3::1"],
        "ipv4-mapped": ["::ffff:10.0.0.6"],
    }
    ids: dict[str, set[str]] = {}
    async with aiohttp.ClientSession() as session:
        for network, members in addresses.items():
            for address in members:
                sender = new_sender("ipv6")
                status, _, _ = await Client(session, guarded_stack, address).post(sender, "hi")
                assert status == 200
                ids.setdefault(network, set()).add(stored_client(guarded_stack, sender))
    key = CLIENT_ID_KEY.encode()
    assert ids["one /64"] == {hmac.new(key, b"2001:db8:1:2::/64", hashlib.sha256).hexdigest()[:16]}
    assert ids["next /64"] != ids["one /64"]
    assert ids["ipv4-mapped"] == {hmac.new(key, b"10.0.0.6", hashlib.sha256).hexdigest()[:16]}


async def test_throwaway_conversations_cannot_flood_an_inbox(guarded_stack: Stack) -> None:
    """25 conversations from 25 clients ask for a code to one address: the mail budget, at
    its production values, lets at most 6 through; the others are told to wait or ask a
    person."""
    victim = f"victim-{new_sender('inbox')}@example.org"
    sent = refused = 0
    async with aiohttp.ClientSession() as session:
        for index in range(25):
            client = Client(session, guarded_stack, f"10.1.0.{index + 1}")
            sender = new_sender("throwaway")
            for text in ("I can't log in", f"my email is {victim}"):
                assert (await client.post(sender, text))[0] == 200
            status, body, _ = await client.post(sender, "yes, send the code")
            assert status == 200
            reply = " ".join(answer.get("text") or "" for answer in body)
            sent += "is on its way" in reply
            refused += "I can't send another email to that address just now" in reply
    assert 1 <= sent <= 6
    assert sent + refused == 25
