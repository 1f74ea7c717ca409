"""What the running assistant exposes: HTTP API, CORS, listening sockets, and its logs."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import socketio

from stack.learner import RestLearner, SocketLearner
from stack.processes import Stack
from tests.support.addresses import unique_address
from tests.support.faults import API_TOKEN, FaultStack

WIDGET_ORIGIN = "http://localhost:8080"
EVIL_ORIGIN = "http://evil.example"
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def status_of(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def headers_of(url: str, method: str, headers: dict[str, str], data: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return {key.lower(): value for key, value in response.headers.items()}
    except urllib.error.HTTPError as error:
        return {key.lower(): value for key, value in error.headers.items()}


def test_http_api_is_off_by_default(stack: Stack) -> None:
    base = stack.config.rasa_url
    for path in ("/conversations/x/tracker", "/status", "/version", "/model/parse"):
        assert status_of(base + path) in (403, 404, 405), path
    assert status_of(base + "/conversations/x/tracker/events", "POST") in (403, 404, 405)


def test_http_api_when_enabled_needs_the_token(fault_stack: FaultStack) -> None:
    base = fault_stack.config.rasa_url
    chat = RestLearner(fault_stack.config)
    chat.say("hi")
    tracker = f"{base}/conversations/{chat.sender}/tracker"
    assert status_of(tracker) == 401
    assert status_of(tracker + "?token=wrong") == 401
    assert status_of(f"{tracker}?token={API_TOKEN}") == 200


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("OPTIONS", "/webhooks/rest/webhook", {"Access-Control-Request-Method": "POST"}),
        ("POST", "/webhooks/rest/webhook", {"Content-Type": "application/json"}),
        ("GET", "/socket.io/?EIO=4&transport=polling", {}),
    ],
)
def test_only_the_widget_origin_gets_cors_headers(
    stack: Stack, method: str, path: str, headers: dict[str, str]
) -> None:
    url = stack.config.rasa_url + path
    data = b'{"sender": "cors-check", "message": "hi"}' if method == "POST" else None
    evil = headers_of(url, method, {**headers, "Origin": EVIL_ORIGIN}, data)
    assert "access-control-allow-origin" not in evil
    widget = headers_of(url, method, {**headers, "Origin": WIDGET_ORIGIN}, data)
    assert widget.get("access-control-allow-origin") == WIDGET_ORIGIN


def test_socket_from_another_origin_is_refused(stack: Stack) -> None:
    refused = SocketLearner(stack.config, origin=EVIL_ORIGIN)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect()
    refused.close()
    with SocketLearner(stack.config, origin="http://127.0.0.1:8080") as widget:
        replies = widget.say("hi")
        assert any("What's going on?" in reply for reply in replies)


def test_account_service_needs_its_api_key(stack: Stack) -> None:
    url = f"{stack.config.account_url}/outbox?to=ana.silva%40example.com"
    assert status_of(url) == 401
    assert status_of(url, headers={"X-API-Key": "wrong"}) == 401
    assert status_of(url, headers={"X-API-Key": stack.config.api_key}) == 200


def listening_addresses(port: int) -> set[str]:
    """Local addresses a TCP socket listens on for `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


def test_every_process_listens_on_localhost_only(stack: Stack) -> None:
    config = stack.config
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for port in (config.account_port, config.action_port, config.rasa_port):
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses <= loopback, (port, addresses)


def test_logs_carry_no_codes_and_no_other_addresses(stack: Stack) -> None:
    """A full conversation, including a failing action, leaves no secrets in the logs."""
    own = "emma.jones@yahoo.com"
    chat = RestLearner(stack.config)
    chat.say("I can't log in")
    chat.say(f"my email is {own}")
    chat.say("yes, send the code")
    code = chat.latest_code(own)
    assert "e***@gmail.com" in chat.text(code)  # the duplicate is named masked only
    # A typed (wrong) code and a failing action: the action error must not dump the chat.
    other = unique_address("log-check")
    second = RestLearner(stack.config)
    second.say("I can't log in")
    second.say(f"my email is {other}")
    assert "is on its way" in second.text("yes, send the code")
    pending = second.latest_code(other)
    wrong = "987650" if pending != "987650" else "987651"
    assert "doesn't match" in second.text(wrong)
    second.say("a@b")
    second.say("/request_human")
    grace = RestLearner(stack.config)
    grace.say("my email changed and I didn't do it")
    grace.say("grace.lee@example.com")

    assert stack.config.log_dir is not None
    logs = "\n".join(path.read_text(errors="replace") for path in stack.config.log_dir.glob("*"))
    assert logs.strip()
    for secret in (code, wrong, pending):
        assert not re.search(rf"(?<!\d){secret}(?!\d)", logs), secret
    hidden = {"emma.j.jones@gmail.com", "grace.lee.new@protonmail.com"}
    assert not hidden & set(ADDRESS.findall(logs))
