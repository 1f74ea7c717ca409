"""Live handoff in the cluster: the learner's socket is on one replica while the agent's
messages come in through the other (the replicas share socket.io rooms through Redis),
and the same with the widget and the console in Chromium through nginx."""

from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import expect

from cluster.processes import Cluster
from common.chromium import chromium
from stack.learner import Endpoints, SocketLearner, client_headers, new_client
from tests.support.browser import DESKTOP, REPLY_TIMEOUT_MS, DeskConsole
from tests.support.handoff import BACK, JOINED, QUEUED, agent_at_desk, queued_learner


def desk_message(rasa_url: str, token: str, conversation: str, text: str) -> None:
    """An agent's message posted to one replica's desk route, as the console's server does."""
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/desk/message",
        data=json.dumps({"conversation_id": conversation, "agent": "Sam", "text": text}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_agent_messages_reach_a_learner_on_the_other_replica(cluster: Cluster) -> None:
    config = cluster.config
    secrets = config.secrets
    on_first = Endpoints(config.rasa_url(0), config.account_url, config.api_key)
    with (
        agent_at_desk(config.public_url, secrets["INSIGHTS_AGENT_TOKEN"]) as agent,
        SocketLearner(on_first) as learner,
    ):
        assert QUEUED in learner.text("talk to a person")
        agent.wait_for(learner.sender)
        assert agent.take(learner.sender)
        assert JOINED in learner.received.get(timeout=30)["text"]
        # Straight to the replica the learner is not on.
        desk_message(config.rasa_url(1), secrets["AGENT_DESK_TOKEN"], learner.sender, "via two")
        said = learner.received.get(timeout=30)
        assert (said["agent"], said["text"]) == ("Sam", "via two")
        # Through the console and nginx, whichever replica it picks.
        for number in range(4):
            assert agent.reply(learner.sender, f"message {number}") == 200
            assert learner.received.get(timeout=30)["text"] == f"message {number}"
        [acknowledged] = learner.replies_to("thank you")
        assert acknowledged.get("to_agent") is True
        agent.wait_for_line(learner.sender, "thank you")
        agent.end(learner.sender)
        assert learner.received.get(timeout=30)["text"] == BACK


def test_the_widget_and_the_console_through_nginx(cluster: Cluster) -> None:
    config = cluster.config
    with chromium() as browser:
        learner_context = browser.new_context(
            viewport=DESKTOP,  # type: ignore[arg-type]
            extra_http_headers=client_headers(new_client()),
        )
        agent_context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
        page, agent_page = learner_context.new_page(), agent_context.new_page()
        for each in (page, agent_page):
            each.set_default_timeout(REPLY_TIMEOUT_MS)
        console = DeskConsole(agent_page, config.public_url).sign_in(
            config.secrets["INSIGHTS_AGENT_TOKEN"], "Sam"
        )
        try:
            widget, session_id = queued_learner(page, config.public_url)
            console.take(session_id)
            widget.wait_for_bot(JOINED)
            widget.send_to_agent("hello from the widget")
            console.wait_for_line("hello from the widget")
            for number in range(3):
                console.reply(f"reply {number}")
                expect(widget.agent_messages().last).to_contain_text(f"reply {number}")
            console.end("Solved")
            widget.wait_for_bot(BACK)
        finally:
            console.sign_out()
            learner_context.close()
            agent_context.close()
