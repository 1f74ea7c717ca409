"""Whose X-Forwarded-For the channels believe: TRUSTED_PROXIES names addresses or networks
(an ingress controller's pods take addresses from a network); anyone else is the client."""

from __future__ import annotations

import pytest

from rasa_addons.channels.guard import client_address, is_trusted_proxy


@pytest.mark.parametrize(
    ("setting", "peer", "trusted"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("10.77.0.3,10.77.0.1", "10.77.0.1", True),
        ("10.0.0.0/8", "10.244.3.17", True),
        ("10.0.0.0/8", "192.168.0.4", False),
        ("fd00::/8", "fd12:3456::1", True),
        ("", "127.0.0.1", False),
        ("not an address, 10.1.2.3", "10.1.2.3", True),
        ("10.0.0.0/8", "not an address", False),
    ],
)
def test_a_peer_is_trusted_when_its_address_or_network_is_named(
    monkeypatch: pytest.MonkeyPatch, setting: str, peer: str, trusted: bool
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", setting)
    assert is_trusted_proxy(peer) is trusted
    learner = client_address(peer, "203.0.113.9, 198.51.100.7")
    assert learner == ("198.51.100.7" if trusted else peer)
