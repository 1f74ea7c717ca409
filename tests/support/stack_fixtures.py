"""Pytest plugin: the whole assistant running on free ports, shared by every test that needs it.

The stack (account service, action server, Rasa server with the trained model) starts
once per test run, on first use, the same way `make run` starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.learner import RestLearner
from stack.processes import ROOT, Stack, StackConfig, free_port, running


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = ROOT / "models" / "accounts.tar.gz"
    if not model.exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir: Path = tmp_path_factory.mktemp("stack")
    config = StackConfig.on_free_ports(
        var_dir,
        log_dir=var_dir / "logs",
        web_port=free_port(),
        # Every test talks to the same few demo accounts all run long; the limits themselves
        # are tested at their production values (tests/service, tests/faults/test_flood.py).
        limits_scale=50,
    )
    with running(config) as started:
        yield started


@pytest.fixture
def rest_learner(stack: Stack) -> RestLearner:
    return RestLearner(stack.config)
