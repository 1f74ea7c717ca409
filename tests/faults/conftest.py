"""A private stack for the tests that kill, restart or break its parts.

It is shared by every module of this package (starting one costs about a minute):
its account service sits behind a switchable stand-in, and its HTTP API is enabled
with a token so the exposure tests can check the token is required.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.processes import ROOT, StackConfig, running
from tests.support.faults import ACCOUNT_TIMEOUT, API_TOKEN, FaultStack, faulty_account_service


@pytest.fixture(scope="package")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    if not (ROOT / "models" / "accounts.tar.gz").exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    var_dir: Path = tmp_path_factory.mktemp("fault-stack")
    config = StackConfig.on_free_ports(
        var_dir,
        log_dir=var_dir / "logs",
        account_timeout=ACCOUNT_TIMEOUT,
        enable_api=True,
        api_token=API_TOKEN,
        limits_scale=50,  # the demo accounts are shared by every test (see stack_fixtures)
    )
    with faulty_account_service(config.account_url) as account:
        # The action server reaches the account service only through the stand-in.
        config.action_server_env["ACCOUNT_SERVICE_URL"] = account.url
        with running(config) as stack:
            yield FaultStack(stack, account)


@pytest.fixture
def faults(fault_stack: FaultStack) -> Iterator[FaultStack]:
    """The private stack, whole and healthy at the start and the end of each test."""
    fault_stack.ensure_running()
    yield fault_stack
    fault_stack.ensure_running()
