from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.redis import running_redis


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with running_redis(tmp_path_factory.mktemp("redis")) as port:
        yield port
