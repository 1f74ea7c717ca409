"""The cluster's hosts: each one a Linux network namespace with its own address on a bridge.

`make hosts` runs the cluster as it would run on several machines: a database host
(PostgreSQL, Redis), an edge host (nginx, the demo page), an account-service host, and one
host per Rasa replica (the replica and its action server). A part reaches another only at
that host's address; nothing crosses 127.0.0.1. This machine stays outside, at the bridge's
own address (the gateway), where tests, load generators and a browser reach the edge host.

Every address comes from one setting, the network (CLUSTER_HOSTS_NETWORK, a /24): the
gateway is .1, the database host .2, the edge .3, the account service .4, Rasa host N is
.10+N. Without it, every part is on 127.0.0.1 (`make cluster`).

Creating and removing namespaces needs root (`ip netns`, from iproute2). Namespaces are
removed when the cluster stops, left-overs of a killed launcher by the next start, and
`watch_and_remove` removes them when the process that made them dies, however it dies.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
DATABASE, EDGE, ACCOUNTS = "database", "edge", "accounts"


def rasa_host(index: int) -> str:
    return f"rasa-{index + 1}"


@dataclass(frozen=True)
class Addresses:
    """Where each host is reached."""

    gateway: str
    database: str
    edge: str
    accounts: str
    rasa: tuple[str, ...]

    @classmethod
    def local(cls, replicas: int) -> Addresses:
        return cls(LOOPBACK, LOOPBACK, LOOPBACK, LOOPBACK, (LOOPBACK,) * replicas)

    @classmethod
    def on_network(cls, network: str, replicas: int) -> Addresses:
        subnet = ipaddress.ip_network(network)
        if subnet.version != 4 or subnet.prefixlen != 24:
            raise ValueError(f"the hosts' network must be an IPv4 /24, not {network}")
        host = [str(address) for address in subnet]
        return cls(host[1], host[2], host[3], host[4], tuple(host[11 + i] for i in range(replicas)))

    def of(self, name: str) -> str:
        """A host's address by its name (`database`, `edge`, `accounts`, `rasa-N`)."""
        if name.startswith("rasa-"):
            return self.rasa[int(name.removeprefix("rasa-")) - 1]
        return str(getattr(self, name))

    def names(self) -> list[str]:
        return [DATABASE, EDGE, ACCOUNTS, *(rasa_host(i) for i in range(len(self.rasa)))]


@dataclass(frozen=True)
class Hosts:
    """The namespaces, bridge and links of one cluster, all named `<prefix>-…`."""

    prefix: str
    network: str
    addresses: Addresses

    def namespace(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def link(self, host: str) -> str:
        """The bridge's end of a host's link (at most 15 characters, as Linux allows)."""
        return f"{self.prefix}v{self.addresses.names().index(host)}"

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-br"

    def in_namespace(self, host: str, command: list[str]) -> list[str]:
        """`command` run inside `host`: `ip netns exec` replaces itself with the command, so
        the process supervisord watches and signals is the program itself."""
        return ["ip", "netns", "exec", self.namespace(host), *command]

    # -- making and removing -----------------------------------------------------------------

    def create(self) -> None:
        """The bridge with the gateway's address, then each host with its link and address."""
        self.remove()
        prefix_length = ipaddress.ip_network(self.network).prefixlen
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.addresses.gateway}/{prefix_length}", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for host in self.addresses.names():
            namespace, outside, inside = self.namespace(host), self.link(host), "eth0"
            _ip("netns", "add", namespace)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", namespace)
            _ip("link", "set", outside, "master", self.bridge, "up")
            address = f"{self.addresses.of(host)}/{prefix_length}"
            for args in (
                ("link", "set", "lo", "up"),
                ("addr", "add", address, "dev", inside),
                ("link", "set", inside, "up"),
            ):
                _ip("-n", namespace, *args)

    def remove(self) -> None:
        """Every namespace of this prefix and the bridge; what is not there is skipped."""
        for host in self.addresses.names():
            self.kill_host(host)
            _ip("netns", "delete", self.namespace(host), check=False)
            _ip("link", "delete", self.link(host), check=False)
        _ip("link", "delete", self.bridge, check=False)

    # -- faults ------------------------------------------------------------------------------

    def pids(self, host: str) -> list[int]:
        done = subprocess.run(
            ["ip", "netns", "pids", self.namespace(host)], capture_output=True, text=True
        )
        return [int(pid) for pid in done.stdout.split()]

    def kill_host(self, host: str) -> list[int]:
        """A host lost: every process in its namespace SIGKILLed."""
        killed = []
        for pid in self.pids(host):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        return killed

    def set_link(self, host: str, up: bool) -> None:
        """Cuts (or restores) a host's only link: a network partition of that host."""
        _ip("link", "set", self.link(host), "up" if up else "down")

    def slow_link(self, host: str, rate: str, queue_ms: int) -> None:
        """Both directions of a host's link at `rate` (tc's units, e.g. "1mbit"), with a
        token-bucket queue that holds a packet up to `queue_ms` and drops it after: a slow
        link that delays, and loses packets when full. (This kernel has no netem for a
        fixed delay and random loss; tbf is what it has.)"""
        for link, namespace in ((self.link(host), None), ("eth0", self.namespace(host))):
            where = ["-n", namespace] if namespace else []
            shape = ["tbf", "rate", rate, "burst", "16kbit", "latency", f"{queue_ms}ms"]
            _tc(*where, "qdisc", "replace", "dev", link, "root", *shape)

    def restore_link(self, host: str) -> None:
        for link, namespace in ((self.link(host), None), ("eth0", self.namespace(host))):
            where = ["-n", namespace] if namespace else []
            _tc(*where, "qdisc", "del", "dev", link, "root", check=False)


def _ip(*args: str, check: bool = True) -> None:
    _run("ip", *args, check=check)


def _tc(*args: str, check: bool = True) -> None:
    _run("tc", *args, check=check)


def _run(*command: str, check: bool) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def watch_and_remove(hosts: Hosts) -> subprocess.Popen:
    """A process that removes the hosts when this one dies, even by SIGKILL (the kernel
    sends it SIGTERM then: `setpriv --pdeathsig`). Returns once it is ready: a SIGTERM
    before its handler is in place would end it without removing anything."""
    watcher = subprocess.Popen(
        [
            *("setpriv", "--pdeathsig", "TERM", "--"),
            *(sys.executable, "-m", "cluster.hosts", hosts.prefix, hosts.network),
            str(len(hosts.addresses.rasa)),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert watcher.stdout is not None
    if watcher.stdout.readline().strip() != b"watching":
        raise RuntimeError("the hosts' watcher did not start")
    return watcher


def _remove_when_told(prefix: str, network: str, replicas: int) -> None:
    hosts = Hosts(prefix, network, Addresses.on_network(network, replicas))

    def remove_and_exit(*_: object) -> None:
        hosts.remove()
        sys.exit(0)

    signal.signal(signal.SIGTERM, remove_and_exit)
    print("watching", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    _remove_when_told(sys.argv[1], sys.argv[2], int(sys.argv[3]))
