"""Off the article's script: side questions, "how do I do that?", going back to the steps and
taking back a "yes".

The walks are stories, and a story only knows the turns it spells out. So a turn that steps
out of a walk is answered and then taken out of the dialogue history with Rasa's
`UserUtteranceReverted` (the event Rasa's own two-stage fallback uses): the policies see the
walk as it was before the side question, and the learner's next answer goes to the step
that was waiting for it. The rules that call these actions are in data/rules/off_script.yml.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActionReverted,
    FollowupAction,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.steps import STEP_2, WALK_OF_RESPONSE

Events = list[dict[str, Any]]

# The questions that close a step of a walk ("did that work?").
STEP_QUESTIONS = ("utter_did_that_work", "utter_did_this_solve")
# Confirmations of a mail sent: said again, they would read as another mail on its way.
NOT_SAID_AGAIN = frozenset(
    {
        "utter_reset_sent",
        "utter_reset_sent_proven",
        "utter_verification_resent",
        "utter_verification_resent_proven",
    }
)
# The assistant's own offers that ask for an address after a section's last step didn't
# help: when they come to nothing, the rest of a walk the learner left, or a person.
ADDRESS_OFFERS = frozenset({"utter_second_account_lookup", "utter_verification_ask_address"})
# The end of a walk: every step was given, and a person offered (or declined).
WALK_ENDS = frozenset({"utter_offer_ticket", "utter_anything_else"})
# Where the article has more on a step, the page that explains it; any other step has no
# more detail than the step itself (utter_how_no_detail).
HOW_TO = {
    "utter_login_reset_password": "utter_how_reset_password",
    "utter_reset_password": "utter_how_reset_password",
    "utter_reset_sent": "utter_how_reset_password",
    "utter_reset_sent_proven": "utter_how_reset_password",
    "utter_login_second_account": "utter_how_second_account",
    "utter_second_account_check": "utter_how_second_account",
    "utter_courses_second_account": "utter_how_second_account",
    "utter_not_found_social": "utter_how_second_account",
    "utter_sso_explain": "utter_how_sso",
    "utter_domain_requires_sso": "utter_how_sso",
}


def response_name(event: dict[str, Any]) -> str | None:
    """The domain response a bot event sent, as Rasa records it."""
    return (event.get("metadata") or {}).get("utter_action")


def is_question(name: str | None, domain: dict[str, Any]) -> bool:
    variants = domain.get("responses", {}).get(name or "") or []
    return any(str(variant.get("text", "")).rstrip().endswith("?") for variant in variants)


def said(tracker: Tracker) -> set[str]:
    """Every response the assistant sent in this conversation (turns taken back included:
    the learner read them)."""
    return {name for e in tracker.events if e.get("event") == "bot" and (name := response_name(e))}


def session_history(tracker: Tracker) -> list[dict[str, Any]]:
    """This session's events as the policies see them (without reverted turns)."""
    events = tracker.applied_events()
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    return events[starts[-1] + 1 :] if starts else events


def split_at_latest_message(
    events: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events before the learner's latest message, and those of this turn."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    return (events[: users[-1]], events[users[-1] :]) if users else (events, [])


def step_questions_asked(events: list[dict[str, Any]]) -> list[int]:
    """Where in `events` the assistant asked a step's question ("did that work?")."""
    return [
        i
        for i, e in enumerate(events)
        if e.get("event") == "bot" and response_name(e) in STEP_QUESTIONS
    ]


def bot_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == "bot" and response_name(e)]


def waiting_question(
    before: list[dict[str, Any]], domain: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The question the assistant's last turn ended with, and the step it followed (for a
    "did that work?"), as the bot messages that sent them."""
    said = bot_messages(before)
    if not said or not is_question(response_name(said[-1]), domain):
        return None, None
    if response_name(said[-1]) in STEP_QUESTIONS and len(said) > 1:
        return said[-1], said[-2]
    return said[-1], None


def data_kept(tracker: Tracker, domain: dict[str, Any]) -> Events:
    """Taking turns out of the history undoes their slots too; the slots that only carry
    data (the typed and the proven address, the proof, a ticket) keep their values, so an
    address proven on the way stays proven when the walk goes back to a step. The topic
    goes back with the walk."""
    return [
        SlotSet(name, tracker.get_slot(name))
        for name, spec in domain.get("slots", {}).items()
        if not spec.get("influence_conversation", True) and name != "topic"
    ]


def send_again(dispatcher: CollectingDispatcher, message: dict[str, Any]) -> None:
    """The same words as before (values filled then included), under the same response."""
    dispatcher.utter_message(response=response_name(message), text=message.get("text"))


def ask_again(
    dispatcher: CollectingDispatcher, question: dict[str, Any], step: dict[str, Any] | None
) -> None:
    """Back to the step: the step itself again, so there is something to try, then its
    question."""
    dispatcher.utter_message(response="utter_back_to_step")
    if step is not None and response_name(step) not in NOT_SAID_AGAIN:
        send_again(dispatcher, step)
    send_again(dispatcher, question)


def resume(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    with_step: bool = True,
) -> Events:
    """Takes the latest message out of the history and asks the waiting question again,
    unless this turn's answer already asks one (e.g. "Could you type it again?")."""
    before, this_turn = split_at_latest_message(session_history(tracker))
    asked = any(is_question(response_name(m), domain) for m in bot_messages(this_turn))
    question, step = waiting_question(before, domain)
    if question is not None and not asked:
        ask_again(dispatcher, question, step if with_step else None)
    # The listen Rasa would have run after the question, so the history reads as if the
    # side question had never been asked.
    return [UserUtteranceReverted(), FollowupAction("action_listen")]


class ActionResumeWalk(Action):
    """After a side question's answer: back to the question that was waiting."""

    def name(self) -> str:
        return "action_resume_walk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        return resume(dispatcher, tracker, domain)


class ActionExplainStep(Action):
    """ "How do I do that?": the article's page for the step, if it has one; then back to it."""

    def name(self) -> str:
        return "action_explain_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        before, _ = split_at_latest_message(session_history(tracker))
        question, step = waiting_question(before, domain)
        how = HOW_TO.get(response_name(step) or "") if step else None
        dispatcher.utter_message(response=how or "utter_how_no_detail")
        # A page is something to try; without one, the step is said again.
        return resume(dispatcher, tracker, domain, with_step=how is None)


def before_the_address(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events before the learner's latest address was checked: what was waiting then
    is what a side trip through an address, a code and a proven account returns to."""
    checks = [i for i, e in enumerate(events) if e.get("name") == "action_check_address"]
    return events[: checks[-1]] if checks else events


def turns_since(events: list[dict[str, Any]], index: int) -> int:
    return sum(1 for e in events[index:] if e.get("event") == "user")


def answered_an_offer(said: list[dict[str, Any]]) -> bool:
    """Whether the address typed after the bot messages `said` answered one of the
    assistant's own offers after a section's last step (a second-account lookup, a new
    verification email): the learner said no to that step already, so the rest of the walk
    goes on from there."""
    return bool(said) and response_name(said[-1]) in ADDRESS_OFFERS


class ActionBackToSteps(Action):
    """ "Back to the steps": the step question that was waiting when the learner typed an
    address (a limit, a declined code, an outage, a proven account that skips no step),
    asked again.

    Every turn since that question (the address, the code, a side trip while the code was
    on its way) is taken out of the history, so the learner's answer goes to that step.
    When the address answered one of the assistant's own offers after the section's last
    step (a second-account lookup, a new verification email), the learner said no to that
    step already: the rest of a walk they left for it, or a person (actions/walks.py). When
    it answered the offer of a person at the end of a walk, that offer again. With no walk
    begun, the topics.
    """

    def name(self) -> str:
        return "action_back_to_steps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        events = session_history(tracker)
        before = before_the_address(events)
        said = bot_messages(before)
        if answered_an_offer(said):
            return [FollowupAction("action_rest_of_walk")]
        if said and response_name(said[-1]) in WALK_ENDS:
            # No step is left to go back to: a person, again.
            return [FollowupAction("utter_offer_ticket")]
        asked = step_questions_asked(before)
        if not asked:
            # As an action of its own, so the rules after the topic menu apply.
            return [FollowupAction("utter_what_next")]
        question, step = waiting_question(events[: asked[-1] + 1], domain)
        assert question is not None
        ask_again(dispatcher, question, step)
        return [
            *taken_out(tracker, turns_since(events, asked[-1])),
            *data_kept(tracker, domain),
            FollowupAction("action_listen"),
        ]


class ActionTakeAsNo(Action):
    """A "no" in other words: the learner's message, put back as the answer "no".

    Two cases, both answering the step's question: "no wait, still broken" right after the
    assistant took a "yes" or "thanks" (that "yes" is taken back too), and the same problem
    named again right after a step ("I still can't log in"). The message is taken out of the
    history and put back with the intent `deny`, as Rasa's two-stage fallback puts back a
    message with the intent the learner confirmed; the stories then go on from the step.
    """

    def name(self) -> str:
        return "action_take_as_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        before, _ = split_at_latest_message(session_history(tracker))
        said = bot_messages(before)
        taken_back = 2 if said and response_name(said[-1]) == "utter_glad" else 1
        return as_no(tracker, domain, taken_back)


# A step the learner asks for by name after it was given ("how do I reset my password?"),
# and the article page for it.
ASKED_AGAIN = {"reset_password": (STEP_2, "utter_how_reset_password")}


class ActionBackToWalk(Action):
    """A section named again after a detour ("back to the login thing, I still can't get
    in"): its walk goes on after the last of its steps the learner was given, never from
    its first step again. The message is put back as the "no" to that step's question (every
    turn since, the detour too, is taken out of the history). With no step of the section
    given yet in this session, the message is put back after this action, so the rule
    that starts the section from any point applies. A step
    asked for by name that was given already gets its article, and the waiting step stays.
    """

    def name(self) -> str:
        return BACK_TO_WALK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        step, page = ASKED_AGAIN.get(str(intent), (frozenset(), None))
        if page and step & said(tracker):
            # Asked for again after it was given: its article, then back to the waiting
            # question, without its step (one thing to try in a turn).
            dispatcher.utter_message(response=page)
            return resume(dispatcher, tracker, domain, with_step=False)
        events = session_history(tracker)
        before, _ = split_at_latest_message(events)
        walk = walk_of(tracker.get_slot("topic"))  # the topic: set from this message's intent
        asked = [i for i in step_questions_asked(before) if walk_asked_at(before, i) == walk]
        if asked:
            return as_no(tracker, domain, turns_since(events, asked[-1]))
        # Not begun: the message is put back after this action, so the rule that starts the
        # section applies (not this one again) and the section's stories read as usual.
        # The topic after the action, so taking this turn back later takes it back too.
        then = [ActionExecuted(self.name()), SlotSet("topic", tracker.get_slot("topic"))]
        return put_back(tracker, domain, 1, {}, then)


BACK_TO_WALK = "action_back_to_walk"

# Sections that lead into the login walk: asking about a reset or a social login starts
# it from that step, and the login steps follow.
LOGIN_WALK = frozenset({"login", "reset_password", "social_login"})


def walk_of(section: str | None) -> str | None:
    """The walk a section's steps belong to: the login walk, or the section's own."""
    return "login" if section in LOGIN_WALK else section


def walk_asked_at(events: list[dict[str, Any]], index: int) -> str | None:
    """The walk of the step whose question is `events[index]`: the walk the step itself
    belongs to (a step of a walk left for a side section is given under the side section's
    topic), else the walk of the section the conversation was in."""
    # The latest bot message before the question, looked for backwards from it.
    said_before = (response_name(events[i]) for i in range(index - 1, -1, -1))
    step = next((name for name in said_before if name), None)
    walk = WALK_OF_RESPONSE.get(step or "")
    return walk or walk_of(section_at(events, index))


def section_at(events: list[dict[str, Any]], index: int) -> str | None:
    """The article section the conversation was in at `events[index]` (the topic slot)."""
    topics = [
        e.get("value")
        for e in events[:index]
        if e.get("event") == "slot" and e.get("name") == "topic"
    ]
    return topics[-1] if topics else None


class ActionNoToTheStepBefore(Action):
    """Something that came up on the way was offered to try (an address whose organization
    requires SSO, a proven account's courses or its own address, the list of courses coming
    up empty), and it didn't help: the "no" answers the step that was waiting when the
    address was typed, so the section's walk goes on with its next step.

    Every turn since that step's question (the address, the code, this "no") is taken out
    of the history and the "no" is put back as its answer. When the address answered one
    of the assistant's own offers after a section's last step, the rest of the walk, as
    "back to the steps" does. With no walk begun, a person.
    """

    def name(self) -> str:
        return "action_no_to_the_step_before"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        events = session_history(tracker)
        before = before_the_address(events)
        if answered_an_offer(bot_messages(before)):
            return [FollowupAction("action_rest_of_walk")]
        asked = step_questions_asked(before)
        if not asked:
            dispatcher.utter_message(response="utter_offer_ticket")
            return []
        return as_no(tracker, domain, turns_since(events, asked[-1]))


def as_no(tracker: Tracker, domain: dict[str, Any], taken_back: int) -> Events:
    """The latest `taken_back` turns out of the history, and the learner's latest message
    back in as the answer `deny` (as Rasa's two-stage fallback puts back a message with the
    intent the learner confirmed)."""
    return put_back(tracker, domain, taken_back, {"intent": {"name": "deny", "confidence": 1.0}})


def taken_out(tracker: Tracker, turns: int) -> Events:
    """The events that take the latest `turns` turns out of the history. A message put back
    after `action_back_to_walk` (below) left that action in the history before it; when the
    turns taken out end there, it goes too (with the topic it set), so the history reads as
    if the step before had been the last thing said."""
    events: Events = [UserUtteranceReverted() for _ in range(turns)]
    while ends_with_put_back(applied(tracker, events)):
        events.append(ActionReverted())
    return events


def applied(tracker: Tracker, then: Events) -> list[dict[str, Any]]:
    """The history as the policies would see it with `then` applied."""
    state = {**tracker.current_state(), "events": tracker.events + then}
    return Tracker.from_dict(state).applied_events()


def ends_with_put_back(events: list[dict[str, Any]]) -> bool:
    actions = [e for e in events if e.get("event") == "action"]
    return bool(actions) and actions[-1].get("name") == BACK_TO_WALK


def put_back(
    tracker: Tracker,
    domain: dict[str, Any],
    taken_back: int,
    meant: dict[str, Any],
    then: Events | None = None,
    turns_ago: int = 0,
) -> Events:
    """The latest `taken_back` turns out of the history, and a learner's message back in
    with what it meant: the latest message, or the one `turns_ago` turns before it. `meant`
    replaces parts of its parse data (the intent, the entities, the text); `then` are
    events for the history once the turns are out (data slots, an action that ran)."""
    history = session_history(tracker)
    said = [i for i, e in enumerate(history) if e.get("event") == "user"]
    message = history[said[-1 - turns_ago]]
    parse_data = {**message.get("parse_data", {}), "text": message.get("text"), **meant}
    answer = {"event": "user", "text": parse_data["text"], "parse_data": parse_data}
    for key in ("input_channel", "message_id", "metadata"):
        if message.get(key) is not None:
            answer[key] = message[key]
    return [
        *taken_out(tracker, taken_back),
        *data_kept(tracker, domain),
        *(then or []),
        ActionExecuted("action_listen"),
        answer,
    ]
