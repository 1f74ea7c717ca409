"""Browser fixtures: Debian's chromium driven by Playwright against the shared running stack.

The stack fixture starts the demo page server (web/server.py) on its own port and allows that
page's origin in `rasa run --cors`, so the widget runs exactly as it does under `make run`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from common.chromium import CHROMIUM, chromium
from stack.learner import client_headers, new_client
from stack.processes import ROOT, Stack, free_port
from stack.supervisor import Program, Supervisor, http_ready
from tests.support.browser import DESKTOP, REPLY_TIMEOUT_MS


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run `make system-deps` (make test does it for you).")
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def web_url(stack: Stack) -> str:
    assert stack.config.web_port is not None, "the stack fixture must start the demo page"
    return stack.config.web_url


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # Each browser context is a learner of its own, named by the proxy the stack trusts.
    created = browser.new_context(
        viewport=DESKTOP,  # type: ignore[arg-type]
        extra_http_headers=client_headers(new_client()),
    )
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    opened = context.new_page()
    opened.set_default_timeout(REPLY_TIMEOUT_MS)
    return opened


@pytest.fixture(scope="session")
def foreign_page_url(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same demo page served from an origin the Rasa server was not told to allow."""
    port = free_port()
    page = Program(
        "foreign-page",
        [sys.executable, "-m", "web.server", "--port", str(port)]
        + ["--rasa-url", stack.config.rasa_url],
        http_ready(f"http://127.0.0.1:{port}/health"),
        port=port,
    )
    supervisor = Supervisor(tmp_path_factory.mktemp("foreign-page"), cwd=ROOT)
    supervisor.write_config([page])
    supervisor.launch(stack.config.environment())
    try:
        supervisor.start_in_order([[page.name]])
        yield f"http://localhost:{port}/"
    finally:
        supervisor.shutdown()
