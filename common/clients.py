"""What counts as one client for every per-client limit: the channels' rate limits, the
account service's mail, code and ticket limits (through the channels' client id) and the
cluster's nginx `limit_req`."""

from __future__ import annotations

import functools
import ipaddress
import os

# An IPv6 home connection or cloud server is given a whole /64 and may use any address in
# it, so an IPv6 client is its network of this many bits; an IPv4 client is its address.
DEFAULT_IPV6_PREFIX = 64


@functools.cache
def ipv6_prefix() -> int:
    """The IPv6 prefix length a client is counted by (env CLIENT_IPV6_PREFIX, 8-128)."""
    value = int(os.environ.get("CLIENT_IPV6_PREFIX") or DEFAULT_IPV6_PREFIX)
    if not 8 <= value <= 128:
        raise ValueError(f"CLIENT_IPV6_PREFIX must be 8-128, not {value}")
    return value


def client_network(address: str) -> str:
    """An IPv4 address (also when written IPv4-mapped in IPv6), or the IPv6 network around an
    address; anything unparseable stands for itself."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/{ipv6_prefix()}", strict=False))
