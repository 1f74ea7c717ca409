"""nginx, the cluster's one public entry point: its configuration from the template, and the
command supervisord runs."""

from __future__ import annotations

import os
import shutil
import string
import subprocess
from pathlib import Path

from cluster.config import ClusterConfig
from cluster.hosts import EDGE
from common.clients import ipv6_prefix

TEMPLATE = Path(__file__).with_name("templates") / "nginx.conf.template"
# Out of demo mode the page has no mailbox; nginx refuses its path as well.
NO_MAILBOX = "location ^~ /api/outbox {\n            return 404;\n        }"


def _servers(addresses: tuple[str, ...], ports: tuple[int, ...]) -> str:
    return "\n".join(
        f"        server {address}:{port} max_fails=1 fail_timeout=5s;"
        for address, port in zip(addresses, ports, strict=True)
    )


def write_conf(config: ClusterConfig) -> Path:
    """Writes var_dir/nginx.conf and checks it with `nginx -t`."""
    values = {
        "var_dir": config.var_dir,
        "user_line": "user nobody nogroup;" if os.geteuid() == 0 else "",
        "nginx_port": config.nginx_port,
        "action_lb_port": config.action_lb_port,
        "web_port": config.web_port,
        "edge": config.addresses.edge,
        "gateway": config.addresses.gateway,
        "rest_servers": _servers(config.addresses.rasa, config.rasa_ports),
        "socketio_servers": _servers(config.addresses.rasa, config.rasa_ports),
        "action_servers": _servers(config.addresses.rasa, config.action_ports),
        "demo_mailbox": "" if config.demo_mode else NO_MAILBOX,
        # nginx compares the address's bytes, so the prefix is taken in whole bytes.
        "ipv6_client_bytes": ipv6_prefix() // 8,
        "ipv6_rest_bytes": 16 - ipv6_prefix() // 8,
    }
    (config.var_dir / "nginx").mkdir(parents=True, exist_ok=True)
    (config.var_dir / "logs").mkdir(parents=True, exist_ok=True)
    path = config.var_dir / "nginx.conf"
    path.write_text(string.Template(TEMPLATE.read_text()).substitute(values))
    # `nginx -t` binds the listening addresses: on hosts, the edge's, inside the edge.
    test = [*command(config), "-t", "-q"]
    if config.hosts is not None:
        test = config.hosts.in_namespace(EDGE, test)
    check = subprocess.run(test, capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected {path}:\n{check.stderr}")
    return path


def command(config: ClusterConfig) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = f"{config.var_dir / 'nginx'}/"
    error_log = str(config.var_dir / "logs" / "nginx-error.log")
    return [nginx, "-p", prefix, "-e", error_log, "-c", str(config.var_dir / "nginx.conf")]
