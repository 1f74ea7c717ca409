from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.core.agent import Agent

from stack.processes import ROOT
from tests.support.redis import running_redis


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with running_redis(tmp_path_factory.mktemp("redis")) as port:
        yield port


@pytest.fixture(scope="module")
def agent() -> Agent:
    model = ROOT / "models" / "accounts.tar.gz"
    if not model.exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    return Agent.load(str(model))
