"""Live handoff through the real stack: a learner asks for a person, an agent at the desk
(web/desk.py, over HTTP as its page does it) takes the conversation, they write to each
other, the agent ends it and the assistant is back. Over REST (updates read with
/webhooks/rest/updates) and over socket.io (the widget's protocol)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from stack.desk_agent import DeskAgent
from stack.learner import RestLearner, SocketLearner
from stack.processes import Stack
from tests.support.handoff import BACK, QUEUED, agent_at_desk


@pytest.fixture
def agent(stack: Stack) -> Iterator[DeskAgent]:
    token = stack.config.secrets["INSIGHTS_AGENT_TOKEN"]
    with agent_at_desk(stack.config.web_url, token) as signed_in:
        yield signed_in


def stored_events(learner: RestLearner | SocketLearner) -> list[dict]:
    return [json.loads(data) for _, data in learner.events()]


def test_a_rest_learner_and_an_agent_talk_and_the_assistant_comes_back(
    stack: Stack, agent: DeskAgent
) -> None:
    learner = RestLearner(stack.config)
    learner.say("I can't log in")
    assert QUEUED in learner.text("can I talk to a person")
    entry = agent.wait_for(learner.sender)
    assert (entry["topic"], entry["proven"]) == ("login", False)
    assert entry["step"] == "login check address"  # the last step given, not "did that work?"

    assert agent.take(learner.sender)
    updates = learner.desk_updates()
    assert updates["handed_over"] is True
    assert [m["text"] for m in updates["messages"]] == [
        "Sam from our support team has joined the chat and can see our conversation so far."
    ]
    # The assistant is paused: no reply, and no apology either.
    assert learner.say("hello, are you there? my address is ana.silva@example.com") == []
    line = agent.wait_for_line(learner.sender, "are you there")
    assert line["who"] == "learner"
    assert "ana.silva@example.com" not in line["text"] and "a***@example.com" in line["text"]

    assert agent.reply(learner.sender, "Hi, I'm Sam. Let's look at your sign-in.") == 200
    since = updates["messages"][-1]["at"]
    [said] = learner.desk_updates(since)["messages"]
    assert (said["agent"], said["text"]) == ("Sam", "Hi, I'm Sam. Let's look at your sign-in.")

    agent.end(learner.sender, "solved")
    [back] = learner.desk_updates(said["at"])["messages"]
    assert back["text"] == BACK
    assert learner.desk_updates()["handed_over"] is False
    assert "If anything else comes up" in learner.text("yes")

    kinds = [event["event"] for event in stored_events(learner)]
    assert kinds.index("pause") < kinds.index("resume")
    agent_messages = [
        event
        for event in stored_events(learner)
        if event["event"] == "bot" and (event.get("metadata") or {}).get("written_by") == "Sam"
    ]
    assert [event["text"] for event in agent_messages] == [
        "Hi, I'm Sam. Let's look at your sign-in."
    ]


def test_a_widget_learner_hears_the_agent_at_once(stack: Stack, agent: DeskAgent) -> None:
    with SocketLearner(stack.config, origin=stack.config.web_url) as learner:
        assert QUEUED in learner.text("I want to talk to a human")
        agent.wait_for(learner.sender)
        assert agent.take(learner.sender)
        joined = learner.received.get(timeout=30)
        assert "Sam from our support team has joined" in joined["text"]
        # The learner's message reaches the agent; the widget is told so, and nothing else.
        [acknowledged] = learner.replies_to("thanks, I'm still locked out")
        assert acknowledged.get("to_agent") is True and not acknowledged.get("text")
        agent.wait_for_line(learner.sender, "still locked out")
        assert agent.reply(learner.sender, "Try the reset link I just sent.") == 200
        said = learner.received.get(timeout=30)
        assert (said["agent"], said["text"]) == ("Sam", "Try the reset link I just sent.")
        agent.end(learner.sender, "not_solved")
        back = learner.received.get(timeout=30)
        assert back["text"] == BACK
        assert "pass this to someone from our support team" in learner.text("no")


def test_a_learner_who_comes_back_gets_what_the_agent_wrote_meanwhile(
    stack: Stack, agent: DeskAgent
) -> None:
    with SocketLearner(stack.config, origin=stack.config.web_url) as learner:
        assert QUEUED in learner.text("talk to a person")
        agent.wait_for(learner.sender)
        assert agent.take(learner.sender)
        learner.received.get(timeout=30)  # who joined
        assert agent.reply(learner.sender, "first") == 200
        first = learner.received.get(timeout=30)
        session = learner.sender
    assert agent.reply(session, "while you were away") == 200
    with SocketLearner(stack.config, sender=session, origin=stack.config.web_url) as back:
        assert back.sender == session
        again = [back.received.get(timeout=30) for _ in range(2)]
    assert [message["text"] for message in again] == ["first", "while you were away"]
    assert again[0]["desk_at"] == first["desk_at"]  # the widget shows it once
    agent.end(session)


def test_two_agents_cannot_both_take_a_conversation(stack: Stack, agent: DeskAgent) -> None:
    other = DeskAgent(stack.config.web_url, stack.config.secrets["INSIGHTS_AGENT_TOKEN"], "Kim")
    other.sign_in()
    try:
        learner = RestLearner(stack.config)
        assert QUEUED in learner.text("talk to a person")
        agent.wait_for(learner.sender)
        assert agent.take(learner.sender)
        assert not other.take(learner.sender)
        assert other.reply(learner.sender, "I'm not on this one") == 409
        agent.end(learner.sender)
    finally:
        other.sign_out()


def test_leaving_the_queue_gives_the_ticket(stack: Stack, agent: DeskAgent) -> None:
    learner = RestLearner(stack.config)
    assert QUEUED in learner.text("talk to a person")
    reply = learner.text("I don't want to wait")
    assert "no longer waiting" in reply and "CS-" in reply
    assert all(entry["conversation_id"] != learner.sender for entry in agent.queue())


def test_with_nobody_at_the_desk_the_learner_gets_a_ticket(stack: Stack) -> None:
    learner = RestLearner(stack.config)
    reply = learner.text("talk to a person")
    assert QUEUED not in reply and "CS-" in reply


def test_the_desk_routes_refuse_anyone_without_the_desk_token(stack: Stack) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{stack.config.rasa_url}/webhooks/desk/message",
        data=json.dumps({"conversation_id": "x", "agent": "Eve", "text": "hi"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer guess"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def test_the_console_needs_a_signed_in_agent(stack: Stack) -> None:
    import requests

    web = stack.config.web_url
    assert requests.get(f"{web}/desk/queue.json", timeout=10).status_code == 401
    page = requests.get(f"{web}/desk", timeout=10)
    assert page.status_code == 401 and "Agent token" in page.text
    taken = requests.post(f"{web}/desk/take", data={"conversation_id": "x"}, timeout=10)
    assert taken.status_code == 401


def test_the_console_refuses_posts_from_other_sites(agent: DeskAgent) -> None:
    answer = agent.http.post(
        f"{agent.web_url}/desk/take",
        data={"conversation_id": "x"},
        headers={"Sec-Fetch-Site": "cross-site"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 403
