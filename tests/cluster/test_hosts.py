"""The cluster on hosts of their own (`make hosts`): each part listens only at its host's
address, a Rasa host lost under 20 learners costs no turn, a widget in Chromium keeps its
conversation when its replica's host is lost, and the hosts' namespaces go with the
process that made them, even when it is killed."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid

import pytest

from cluster.crash import ACCESS_LINE, run_once
from cluster.hosts import Addresses, Hosts, rasa_host
from cluster.processes import Cluster, host_of
from common.chromium import chromium
from stack.learner import client_headers, new_client
from stack.processes import ROOT
from tests.support.browser import DESKTOP, REPLY_TIMEOUT_MS, open_widget
from tests.support.cluster import assert_every_turn_kept, replica_learner, stored_user_texts

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


def listening(hosts: Hosts, host: str) -> set[str]:
    """The addresses (address:port) TCP servers listen on inside a host."""
    done = subprocess.run(
        hosts.in_namespace(host, ["ss", "-ltnH"]), capture_output=True, text=True, check=True
    )
    return {line.split()[3] for line in done.stdout.splitlines()}


def test_every_part_listens_only_at_its_hosts_address(cluster: Cluster) -> None:
    config, hosts = cluster.config, cluster.config.hosts
    assert hosts is not None
    ports = {
        "postgres": config.postgres_port,
        "redis": config.redis_port,
        "nginx": config.nginx_port,
        "web": config.web_port,
        "account-service": config.account_port,
        **{f"rasa-{i + 1}": port for i, port in enumerate(config.rasa_ports)},
        **{f"action-{i + 1}": port for i, port in enumerate(config.action_ports)},
    }
    expected: dict[str, set[str]] = {host: set() for host in config.addresses.names()}
    for program, port in ports.items():
        expected[host_of(program)].add(f"{config.addresses.of(host_of(program))}:{port}")
    expected["edge"].add(f"{config.addresses.edge}:{config.action_lb_port}")
    for host, addresses in expected.items():
        assert listening(hosts, host) == addresses, host


def reaching(command_line: str) -> str:
    """A program's command line without the browser origins it accepts (`--cors`): those
    name pages, not addresses a part of the cluster reaches."""
    words = shlex.split(command_line)
    return shlex.join(words[: words.index("--cors")] if "--cors" in words else words)


def test_the_generated_configuration_names_no_loopback_address(cluster: Cluster) -> None:
    """nginx, the replicas' endpoints, the programs' commands and settings name hosts,
    never 127.0.0.1 or localhost: a part that tried to reach another there would find
    nothing."""
    config = cluster.config
    texts = {name: (config.var_dir / name).read_text() for name in ("nginx.conf", "endpoints.yml")}
    for line in (config.var_dir / "supervisord.conf").read_text().splitlines():
        if line.startswith("command="):
            texts[line] = reaching(line.removeprefix("command="))
        elif line.startswith("environment="):
            texts[line] = line
    given = {key: value for key, value in config.environment().items() if key not in os.environ}
    texts["environment"] = json.dumps(given)
    for name, text in texts.items():
        assert "127.0.0.1" not in text and "localhost" not in text, name


def test_no_turn_is_lost_or_doubled_when_a_rasa_host_is_lost(cluster: Cluster) -> None:
    """20 learners through nginx while every process of Rasa host 1 (its replica and its
    action server) is SIGKILLed; `make hosts-report` repeats this and more."""
    run = run_once(cluster, learners=20, fault="rasa-host")
    print(f"\nrasa host lost: {json.dumps(run)}")
    assert run["processes_killed"] >= 2
    assert_every_turn_kept(run)


def namespaces() -> set[str]:
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in done.stdout.splitlines() if line.strip()}


def test_the_hosts_go_when_the_process_that_made_them_is_killed() -> None:
    hosts = Hosts("acck", "10.80.0.0/24", Addresses.on_network("10.80.0.0/24", 1))
    script = (
        "import sys, time\n"
        "from cluster.hosts import Addresses, Hosts, watch_and_remove\n"
        "hosts = Hosts('acck', '10.80.0.0/24', Addresses.on_network('10.80.0.0/24', 1))\n"
        "hosts.create()\n"
        "watch_and_remove(hosts)\n"
        "print('made', flush=True)\n"
        "time.sleep(600)\n"
    )
    maker = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert maker.stdout is not None and maker.stdout.readline().strip() == "made"
        made = {hosts.namespace(host) for host in hosts.addresses.names()}
        assert made <= namespaces()
        maker.send_signal(signal.SIGKILL)
        maker.wait()
        deadline = time.monotonic() + 30
        while made & namespaces() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not made & namespaces()
    finally:
        maker.kill()
        hosts.remove()


def as_shown(text: str) -> str:
    """A reply as the widget shows it: a Markdown link as its text, spaces collapsed."""
    return " ".join(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text).split())


def socketio_replica(cluster: Cluster) -> int:
    """The replica nginx sent the latest socket.io request to (its access log)."""
    log = cluster.config.var_dir / "logs" / "nginx-access.log"
    for line in reversed(log.read_text(errors="replace").splitlines()):
        match = ACCESS_LINE.match(line)
        if match and "/socket.io/" in line and match["upstreams"]:
            address = match["upstreams"].split(",")[-1].strip().rsplit(":", 1)[0]
            return cluster.config.addresses.rasa.index(address)
    raise AssertionError("no socket.io request in nginx's log")


def test_a_widget_keeps_its_conversation_when_its_replicas_host_is_lost(
    cluster: Cluster,
) -> None:
    """The real widget in Chromium, through nginx: its replica's host is lost between two
    messages; the widget reconnects to the other replica, which goes on with the same
    conversation (same session, the next step, nothing lost or doubled)."""
    config, hosts = cluster.config, cluster.config.hosts
    assert hosts is not None
    reference = replica_learner(cluster, 0, f"reference-{uuid.uuid4().hex[:8]}")
    expected = [reference.say("I can't log in"), reference.say("no")]
    with chromium() as browser:
        context = browser.new_context(
            viewport=DESKTOP,  # type: ignore[arg-type]
            extra_http_headers=client_headers(new_client()),
        )
        page = context.new_page()
        page.set_default_timeout(REPLY_TIMEOUT_MS)
        widget = open_widget(page, f"{config.public_url}/")
        widget.send("I can't log in")
        session = widget.session_id()
        assert session is not None
        replica = socketio_replica(cluster)
        lost = rasa_host(replica)
        assert hosts.kill_host(lost)
        widget.send("no")
        shown = widget.bot_messages().all_inner_texts()
        assert socketio_replica(cluster) != replica  # it reconnected to the other one
        assert widget.session_id() == session
        context.close()
    for name in (f"rasa-{replica + 1}", f"action-{replica + 1}"):
        cluster.supervisor.wait_ready(name)
    # The widget greets silently when it opens (/greet), then the learner's two messages.
    assert stored_user_texts(cluster, session, 3) == ["/greet", "I can't log in", "no"]
    # The replies to the two messages are the ones a conversation on one replica gets.
    replies = [as_shown(text) for turn in expected for text in turn]
    assert [as_shown(text) for text in shown[-len(replies) :]] == replies
