"""A person for the learner: an agent in the chat when one is at the desk (a place in the
queue, leaving it for a ticket, the assistant pausing and coming back), else a ticket with
the conversation masked, the urgent queue for a takeover, a reply only to a proven address."""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_check import ActionCheckAddress
from actions.handoff import ActionAgentJoined, ActionAgentLeft, ActionHandOver, ActionLeaveQueue
from tests.support.actions import ActionLearner, joined


async def ticket_of(learner: ActionLearner, reply: str) -> dict:
    ticket_id = re.search(r"CS-\d+", reply)
    assert ticket_id, reply
    assert learner.service is not None
    status, ticket = await learner.service.call("GET", f"/tickets/{ticket_id.group(0)}")
    assert status == 200
    return dict(ticket)


async def test_a_proven_learner_is_told_where_support_will_reply(learner: ActionLearner) -> None:
    learner.slots["topic"] = "login"
    await learner.prove("ana.silva@example.com")
    reply = joined(await learner.run(ActionHandOver(), "talk to a person", "request_human"))
    assert "ana.silva@example.com as the address to reach you" in reply
    ticket = await ticket_of(learner, reply)
    [request] = ticket["requests"]
    transcript = " ".join(
        line.get("learner_words", line.get("text")) for line in request["transcript"]
    )
    assert "a***@example.com" in transcript and "ana.silva@example.com" not in transcript
    assert not re.search(r"\b\d{6}\b", transcript)
    assert ticket["topic"] == "login" and ticket["priority"] == "normal"


async def test_an_unproven_address_is_not_the_contact(learner: ActionLearner) -> None:
    await learner.run(ActionCheckAddress(), "the email on my account is now x@attacker.example")
    reply = joined(await learner.run(ActionHandOver(), "talk to a person", "request_human"))
    assert "I have no confirmed address for them to reach you at" in reply
    assert "Contact Us" in reply and "your account's email address" in reply
    assert "attacker" not in reply
    ticket = await ticket_of(learner, reply)
    assert ticket["contact"] == "unproven"


async def test_a_takeover_goes_to_the_urgent_queue(learner: ActionLearner) -> None:
    learner.slots["topic"] = "email_change"
    reply = joined(await learner.run(ActionHandOver(), "yes", "affirm"))
    assert (await ticket_of(learner, reply))["priority"] == "high"
    assert learner.slots["ticket_id"] and learner.slots["ticket_id"] in reply


async def queue_of(learner: ActionLearner) -> list[dict]:
    assert learner.service is not None
    status, body = await learner.service.call("GET", "/handoffs")
    assert status == 200
    return list(body["queue"])


async def an_agent_at_the_desk(learner: ActionLearner, name: str = "Sam") -> None:
    assert learner.service is not None
    status, _ = await learner.service.call("POST", "/agents/seen", json={"agent": name})
    assert status == 200


async def test_with_an_agent_at_the_desk_the_learner_waits_in_the_chat(
    learner: ActionLearner,
) -> None:
    await an_agent_at_the_desk(learner)
    learner.slots["topic"] = "login"
    reply = joined(await learner.run(ActionHandOver(), "talk to a person", "request_human"))
    assert learner.said() == ["utter_handoff_queued"]
    assert "within 2 minutes" in reply and "CS-" not in reply
    [entry] = await queue_of(learner)
    assert (entry["conversation_id"], entry["topic"], entry["proven"]) == (
        learner.sender_id,
        "login",
        False,
    )


async def test_asking_again_keeps_the_one_place(learner: ActionLearner) -> None:
    await an_agent_at_the_desk(learner)
    await learner.prove("ana.silva@example.com")
    await learner.run(ActionHandOver(), "talk to a person", "request_human")
    await learner.run(ActionHandOver(), "a human please", "request_human")
    assert learner.said() == ["utter_handoff_queued"]
    [entry] = await queue_of(learner)
    assert entry["proven"] is True


async def test_leaving_the_queue_opens_the_ticket(learner: ActionLearner) -> None:
    await an_agent_at_the_desk(learner)
    await learner.run(ActionHandOver(), "talk to a person", "request_human")
    reply = joined(await learner.run(ActionLeaveQueue(), "I can't wait", "leave_queue"))
    assert learner.said() == ["utter_handoff_left_queue", "utter_ticket_opened_no_contact"]
    assert await queue_of(learner) == []
    await ticket_of(learner, reply)


async def test_leaving_when_not_waiting_still_gives_the_ticket(learner: ActionLearner) -> None:
    reply = joined(await learner.run(ActionLeaveQueue(), "just open a ticket", "leave_queue"))
    assert learner.said() == ["utter_ticket_opened_no_contact"]
    await ticket_of(learner, reply)


def desk_tracker(entities: list[dict]) -> Tracker:
    return Tracker(
        sender_id="learner-1",
        slots={"agent_name": "Sam"},
        latest_message={"intent": {"name": "agent_joined"}, "entities": entities, "text": ""},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_an_agent_joining_pauses_the_assistant() -> None:
    dispatcher = CollectingDispatcher()
    tracker = desk_tracker([{"entity": "agent", "value": "Kim"}])
    events = await ActionAgentJoined().run(dispatcher, tracker, {})
    assert [message["response"] for message in dispatcher.messages] == ["utter_handoff_joined"]
    assert dispatcher.messages[0]["agent"] == "Kim" and dispatcher.messages[0]["desk"] is True
    assert events == [SlotSet("agent_name", "Kim"), ConversationPaused()]


async def test_the_assistant_back_names_the_agent_who_left() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionAgentLeft().run(dispatcher, desk_tracker([]), {})
    assert events == []
    [message] = dispatcher.messages
    assert (message["response"], message["agent"]) == ("utter_handoff_ended", "Sam")
