"""A whole cluster (PostgreSQL, Redis, nginx, 2 action servers, 2 Rasa replicas) for the
package, on hosts of their own (`make hosts`: a network namespace per host) when this runs
as root, which `ip netns` needs; on 127.0.0.1 otherwise (`make cluster`).

Started with the same code as `make hosts`, on free ports, in its own directory under
var/ (the PostgreSQL server user must be able to reach its data directory, which rules
out pytest's private temporary directory when running as root).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from cluster.config import ClusterConfig
from cluster.processes import ROOT, Cluster, remove_files, running

# The tests' own network and names, so that they run beside `make hosts`.
TEST_NETWORK = "10.79.0.0/24"
TEST_PREFIX = "acct"
ON_HOSTS = os.geteuid() == 0


@pytest.fixture(scope="package")
def cluster() -> Iterator[Cluster]:
    if not (ROOT / "models" / "accounts.tar.gz").exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir = ROOT / "var" / "cluster-tests" / uuid.uuid4().hex[:8]
    # The crash test's learners mail the same few demo accounts hundreds of times.
    config = ClusterConfig.on_free_ports(
        var_dir,
        extra_env={"ACCOUNT_LIMITS_SCALE": "1000"},
        network=TEST_NETWORK if ON_HOSTS else None,
        host_prefix=TEST_PREFIX,
    )
    try:
        with running(config) as started:
            yield started
    finally:
        # The logs of the last run stay for reading; everything else goes.
        kept = ROOT / "var" / "cluster-tests" / "last-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(var_dir / "logs", kept, dirs_exist_ok=True)
        remove_files(config)
