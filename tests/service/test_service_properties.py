"""Property-based: whatever a caller sends to any endpoint of the account service (random
JSON, strings of any size and alphabet, odd path segments), it never answers 500 and never
shows an internal detail; the caller gets a clear client-error status instead."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from account_service.app import SafeAccessLogger, create_app
from tests.support.service_fixtures import SEED_PATH, TEST_API_KEY

# What must never reach a caller: stack traces, the storage engine, Python internals.
INTERNALS = ("Traceback", 'File "', "sqlite", "Exception", "Error:", "NoneType", "KeyError")

ENDPOINTS = (
    ("POST", "/codes"),
    ("POST", "/codes/verify"),
    ("POST", "/password-reset"),
    ("POST", "/verification-email"),
    ("POST", "/tickets"),
)
FIELDS = ("email", "code", "conversation_id", "token", "reason", "transcript", "topic", "client")

# Any character a UTF-8 request can carry (lone surrogates cannot be encoded at all).
characters = st.characters(exclude_categories=["Cs"])
texts = st.text(characters, max_size=300) | st.text(characters, min_size=2_000, max_size=5_000)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=20,
)
# Bodies shaped like real requests (known fields, any values) and anything at all.
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS)) | json_values


@dataclass
class Service:
    url: str

    def call(self, method: str, path: str, body: bytes | None) -> tuple[int, str]:
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={"X-API-Key": TEST_API_KEY, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real app on a free port, in a thread of its own, for the module's examples."""
    db_path: Path = tmp_path_factory.mktemp("properties") / "accounts.db"
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple[web.AppRunner, str]:
        app = create_app(db_path, seed_path=SEED_PATH, api_key=TEST_API_KEY)
        runner = web.AppRunner(app, access_log_class=SafeAccessLogger)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return runner, f"http://{host}:{port}"

    runner, url = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield Service(url)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def assert_safe_answer(status: int, body: str) -> None:
    assert status < 500, (status, body)
    for internal in INTERNALS:
        assert internal not in body, (status, body)
    if body:
        json.loads(body)  # always JSON, also for refusals


PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    # Nested JSON bodies are large by design.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@PROPERTY_SETTINGS
@given(body=bodies)
def test_any_json_body_gets_a_clean_answer(
    service: Service, method: str, path: str, body: Any
) -> None:
    status, text = service.call(method, path, json.dumps(body).encode())
    assert_safe_answer(status, text)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=2_000))
def test_any_bytes_get_a_clean_answer(service: Service, method: str, path: str, raw: bytes) -> None:
    status, text = service.call(method, path, raw)
    assert_safe_answer(status, text)


@PROPERTY_SETTINGS
@given(
    template=st.sampled_from(
        ("/accounts/state?email={}&token={}", "/domains/{}/sso", "/tickets/{}", "/outbox?to={}")
    ),
    # Percent-encoded, a value grows up to twelvefold; aiohttp's parser refuses request lines
    # over 8,190 bytes itself (see test_an_overlong_request_line_is_refused_briefly).
    values=st.tuples(st.text(characters, max_size=600), st.text(characters, max_size=600)),
)
def test_any_path_or_query_value_gets_a_clean_answer(
    service: Service, template: str, values: tuple[str, str]
) -> None:
    quoted = [urllib.parse.quote(value, safe="") for value in values]
    path = template.format(*quoted[: template.count("{}")])
    status, text = service.call("GET", path, None)
    assert_safe_answer(status, text)


def test_an_overlong_request_line_is_refused_briefly(service: Service) -> None:
    """aiohttp's own parser answers before the app sees the request: a short 400 in plain
    text, no trace."""
    status, text = service.call("GET", "/accounts/state?token=" + "0" * 9_000, None)
    assert status == 400 and len(text) < 200
    for internal in INTERNALS:
        assert internal not in text
