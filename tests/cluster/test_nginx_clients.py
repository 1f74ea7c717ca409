"""The cluster's nginx counts a client as common/clients.py does: an IPv6 /64 is one client
for `limit_req`, whichever of its addresses a request comes from. nginx runs alone with the
cluster's own configuration: with no replica behind it a request it lets through gets 502,
one it limits gets 429 before any upstream is tried."""

from __future__ import annotations

import asyncio
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from cluster.config import ClusterConfig
from cluster.nginx import command, write_conf

# More than the REST zone's burst (50) from one client, sent at once.
REQUESTS = 120


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = ClusterConfig.on_free_ports(tmp_path_factory.mktemp("nginx") / "var")
    write_conf(config)
    process = subprocess.Popen(command(config), stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{config.nginx_port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def statuses(url: str, addresses: list[str]) -> Counter[int]:
    """The status of one REST message from each address (named in X-Forwarded-For, which nginx
    believes from 127.0.0.1), all sent at once."""

    async def one(session: aiohttp.ClientSession, address: str) -> int:
        async with session.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": "s", "message": "hi"},
            headers={"X-Forwarded-For": address},
        ) as response:
            return response.status

    for _ in range(50):  # nginx starting
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(url):
                    break
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    async with aiohttp.ClientSession() as session:
        return Counter(await asyncio.gather(*(one(session, address) for address in addresses)))


async def test_addresses_of_one_ipv6_network_share_a_limit(nginx: str) -> None:
    one_network = [f"2001:db8:aa:1::{index:x}" for index in range(1, REQUESTS + 1)]
    counted = await statuses(nginx, one_network)
    assert counted[429] > 0, counted


async def test_separate_networks_are_separate_clients(nginx: str) -> None:
    networks = [f"2001:db8:bb:{index:x}::1" for index in range(1, REQUESTS + 1)]
    counted = await statuses(nginx, networks)
    assert counted[429] == 0 and counted[502] == REQUESTS, counted


def test_the_prefix_is_the_channels_prefix(tmp_path: Path) -> None:
    config = ClusterConfig.on_free_ports(tmp_path / "var")
    text = write_conf(config).read_text()
    assert '"~(?s)^(?<network>.{8}).{8}$" $network;' in text
