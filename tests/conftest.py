import os
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["tests.support.service_fixtures", "tests.support.stack_fixtures"]

# Property tests draw the same examples on every run (fixed seeds): a failure is a defect
# that reproduces, never a draw that happened to be unlucky. `make fuzz` explores new draws
# (HYPOTHESIS_PROFILE=explore); what it finds becomes an @example of the test.
settings.register_profile("fixed_seed", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed_seed"))


# `make test` runs pytest-xdist workers (--dist loadgroup). The tests of these folders
# share a heavy fixture per package or module (a whole cluster, Chromium, the insights'
# own stack with exact figures): each folder runs in one worker, so no two clusters or
# insights stacks run at once. The modules that use the faults' private stack (a package
# fixture) run in one worker too, so it starts once. Any other module runs in one worker,
# so its module fixtures start once.
ONE_WORKER = frozenset({"cluster", "browser", "insights"})
SHARED_STACKS = frozenset({"fault_stack"})
TESTS = Path(__file__).resolve().parent


# Before pytest-xdist's own hook, which reads the marks into the test ids it schedules by.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    sharing = {
        item.path: name
        for item in items
        for name in SHARED_STACKS.intersection(getattr(item, "fixturenames", ()))
    }
    for item in items:
        path = item.path.relative_to(TESTS)
        group = path.parts[0] if path.parts[0] in ONE_WORKER else str(path)
        item.add_marker(pytest.mark.xdist_group(sharing.get(item.path, group)))
