"""`python -m cluster start|stop|status|crash`: the assistant as a cluster on localhost, or
with CLUSTER_HOSTS_NETWORK set, on hosts of their own (cluster/hosts.py; its throughput:
`python -m bench cluster`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cluster.config import ClusterConfig
from cluster.processes import Cluster


def start(config: ClusterConfig) -> None:
    Cluster(config).start(detached=True)
    print(
        "\nThe cluster is up (stop it with `make cluster-stop`).\n"
        f"  public (nginx):   {config.public_url}/webhooks/rest/webhook"
        f"  and {config.public_url}/socket.io/\n"
        f"  Rasa replicas:    {', '.join(str(port) for port in config.rasa_ports)}"
        f" (Sanic workers each: {config.sanic_workers})\n"
        f"  action servers:   {', '.join(str(port) for port in config.action_ports)}"
        f" behind nginx on {config.action_lb_port}\n"
        f"  PostgreSQL:       {config.postgres_port} (db {config.postgres_db},"
        f" user {config.postgres_user})\n"
        f"  Redis:            {config.redis_port}\n"
        f"  account service:  {config.account_url}\n"
        f"  demo page:        {config.public_url}/ (served by {config.web_url})\n"
        f"  supervisord:      {config.var_dir}/supervisord.conf, logs in {config.var_dir}/logs\n"
        "  (a crashed program is restarted; `make cluster-status` lists their states)\n",
        flush=True,
    )
    if config.hosts is not None:
        at = config.addresses
        print(
            f"Each host is a network namespace on the bridge {config.hosts.bridge}"
            f" ({config.network}; this machine is {at.gateway}):\n"
            + "".join(
                f"  {host:<9} {at.of(host):<12} {config.hosts.namespace(host)}\n"
                for host in at.names()
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "crash", "hosts-report"])
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None, help="crash: the report")
    parser.add_argument("--runs", type=int, default=20, help="crash: runs with 20 learners")
    args = parser.parse_args()
    config = ClusterConfig.from_env(args.var_dir)
    if args.command == "start":
        try:
            start(config)
        except RuntimeError as problem:
            sys.exit(str(problem))
    elif args.command == "stop":
        # As started: on its hosts, if it was started on hosts.
        if (config.var_dir / "cluster.json").exists():
            config = ClusterConfig.saved(config.var_dir)
        cluster = Cluster(config)
        running = cluster.running_names()
        cluster.stop()
        print(f"stopped: {', '.join(running) if running else 'nothing was running'}")
    elif args.command == "status":
        print(json.dumps({"running": Cluster(config).running_names()}))
    elif args.command == "crash":
        from cluster.crash import PLAN, run_plan

        plan = ((args.runs, *PLAN[0][1:]), *PLAN[1:])
        run_plan(plan, args.output or Path("reports/crash.json"))
    else:
        from cluster.crash import HOSTS_PLAN, run_plan

        network = config.network or "10.77.0.0/24"
        run_plan(HOSTS_PLAN, args.output or Path("reports/hosts.json"), network)


if __name__ == "__main__":
    main()
