"""Runs the `rasa` command line with turn ids and speed-ups for a stack of this project.

The policies read a conversation's history incrementally instead of whole on every
prediction (rasa_addons/history.py: same predictions, flat cost as a session grows), and
the model's graph runs in a fixed order without dask's scheduler (rasa_addons/graph_runner.py).

A message that carries a turn id already handled in its conversation is answered with the
replies of the first time instead of being handled again (rasa_addons/turns.py). A call to
the action server that could not connect, or whose connection broke before the answer
(the action server restarting), is made again after 0.25, 0.5, 1 and 1 s: a restart takes
about 1.5 s, and a repeated call is safe because every call that changes something carries
an idempotency key from the turn id (actions/account_client.py).

Rasa checks every action-server response against a fixed JSON schema with
`jsonschema.validate`, which re-checks the schema itself on every call; profiling a
turn showed that as about an eighth of the Rasa server's CPU. Here the validator is
built once and reused. Responses are checked exactly as strictly as before.

Rasa also opens a new HTTP client session, and so a new connection, for every call to
the action server. Here each endpoint keeps one session per event loop, so calls reuse
open connections. Idle connections are dropped after 2 s, before the action server
(Sanic: 5 s) closes them from its side, so a request never goes out on a connection the
server is closing.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import Any

import aiohttp
import jsonschema
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from rasa_addons import graph_runner
from rasa_addons import history as incremental_history
from rasa_addons.turns import answered_once

IDLE_CONNECTION_SECONDS = 2.0


@functools.cache
def action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Same contract as Rasa's own check: True, or a ValidationError with advice."""
    try:
        action_response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid."
        )
        raise
    return True


class KeptSession:
    """What Rasa's `async with endpoint.session() as session` gets: a session left open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def kept_session(self: EndpointConfig) -> KeptSession:
    """Same headers, auth and timeout as Rasa's `EndpointConfig.session`, made once per loop."""
    loop = asyncio.get_running_loop()
    kept_loop, session = getattr(self, "_kept_session", (None, None))
    if session is None or session.closed or kept_loop is not loop:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
        )
        self._kept_session = (loop, session)  # type: ignore[attr-defined]
    return KeptSession(session)


ACTION_RETRY_WAITS = (0.25, 0.5, 1.0, 1.0)


def retrying(request: Any) -> Any:
    """Wraps `EndpointConfig.request`: connection failures are tried again, timeouts not."""

    @functools.wraps(request)
    async def request_again_on_connection_failure(
        self: EndpointConfig, *args: Any, **kwargs: Any
    ) -> Any:
        for wait in (*ACTION_RETRY_WAITS, None):
            try:
                return await request(self, *args, **kwargs)
            except aiohttp.ClientConnectionError as failure:
                if wait is None or isinstance(failure, asyncio.TimeoutError):
                    raise
            await asyncio.sleep(wait)
        return None

    return request_again_on_connection_failure


def main() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    EndpointConfig.session = kept_session  # type: ignore[method-assign]
    EndpointConfig.request = retrying(EndpointConfig.request)  # type: ignore[method-assign]
    MessageProcessor.handle_message = answered_once(  # type: ignore[method-assign]
        MessageProcessor.handle_message
    )
    incremental_history.install()
    graph_runner.install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
