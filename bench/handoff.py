"""`python -m bench handoff` (`make bench-handoff`): how long an agent's message takes to
reach the learner, on one server and in the cluster.

Each learner asks for a person; an agent at the desk (stack/desk_agent.py, the console's own
requests) takes the conversation and sends replies: console -> page server -> Rasa's desk
route -> the learner's socket.io room. Two kinds of learner:

- the chat widget in Chromium: from just before the console's request leaves to the
  agent's bubble appearing in the widget (a MutationObserver's clock, the same machine's);
- the widget's protocol from Python (stack/learner.py, long-polling): to the socket
  receiving the message.

In the cluster the Python learner's socket is on replica 1 and the widget's wherever nginx
puts it; the page server reaches Rasa through nginx, so about half the replies come in
through the other replica and cross over in Redis. Starts its own stack and cluster on free
ports. Writes reports/bench-handoff.json and .md.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from bench import writer
from cluster.config import ClusterConfig
from cluster.processes import ROOT, remove_files
from cluster.processes import running as cluster_running
from common.chromium import chromium
from insights.measures import percentile
from stack.desk_agent import DeskAgent
from stack.learner import Endpoints, SocketLearner, client_headers, new_client
from stack.processes import StackConfig, free_port
from stack.processes import running as stack_running

QUEUED = "Someone from our support team can join this chat now"
# Every learner here asks for a person: far more than one network may in an hour.
LIMITS_SCALE = 100


# Records when each agent bubble appears in the widget (its shadow root), by its text.
WATCH_AGENT_BUBBLES = """() => {
    window.agentBubbles = {};
    const root = document.querySelector("[data-account-help-widget]").shadowRoot;
    new MutationObserver(() => {
        for (const bubble of root.querySelectorAll(".message.agent .bubble-body")) {
            const text = bubble.lastChild ? bubble.lastChild.textContent : "";
            if (!(text in window.agentBubbles)) window.agentBubbles[text] = Date.now();
        }
    }).observe(root, { subtree: true, childList: true });
}"""
SESSION_ID = """() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("account-help-widget"));
    return JSON.parse(localStorage.getItem(key)).sessionId;
}"""


@contextmanager
def single_server(var_dir: Path) -> Iterator[tuple[Endpoints, str, str]]:
    """`make run`'s stack: where learners connect, the page server, the agent token."""
    shutil.rmtree(var_dir, ignore_errors=True)  # a fresh account service: no old limits
    config = StackConfig.on_free_ports(
        var_dir, log_dir=var_dir / "logs", web_port=free_port(), limits_scale=LIMITS_SCALE
    )
    with stack_running(config):
        learners = Endpoints(config.rasa_url, config.account_url, config.api_key)
        yield learners, config.web_url, config.secrets["INSIGHTS_AGENT_TOKEN"]


@contextmanager
def two_replicas(var_dir: Path) -> Iterator[tuple[Endpoints, str, str]]:
    """`make cluster`: learners on replica 1, the page server (and its desk) behind nginx."""
    config = ClusterConfig.on_free_ports(
        var_dir, extra_env={"ACCOUNT_LIMITS_SCALE": str(LIMITS_SCALE)}
    )
    remove_files(config)
    try:
        with cluster_running(config):
            learners = Endpoints(config.rasa_url(0), config.account_url, config.api_key)
            yield learners, config.public_url, config.secrets["INSIGHTS_AGENT_TOKEN"]
    finally:
        remove_files(config)


def one_learner(assistant: Endpoints, agent: DeskAgent, replies: int) -> list[float]:
    """Seconds from each agent reply's request to the learner receiving it."""
    latencies = []
    with SocketLearner(assistant, origin=None) as learner:
        if QUEUED not in learner.text("can I talk to a person?"):
            raise RuntimeError("the learner was not offered an agent")
        agent.wait_for(learner.sender)
        if not agent.take(learner.sender):
            raise RuntimeError("the agent could not take the conversation")
        learner.received.get(timeout=30)  # the assistant says who joined
        for number in range(replies):
            text = f"reply {number} to {learner.sender[:8]}"
            started = time.perf_counter()
            if agent.reply(learner.sender, text) != 200:
                raise RuntimeError("the desk refused a reply")
            while learner.received.get(timeout=30).get("text") != text:
                pass
            latencies.append(time.perf_counter() - started)
        agent.end(learner.sender)
    return latencies


def widget_learner(browser: Browser, web_url: str, agent: DeskAgent, replies: int) -> list[float]:
    """Seconds from each agent reply's request to its bubble in the widget."""
    # A learner of its own, named by the proxy the stack trusts (as in the browser tests).
    context = browser.new_context(extra_http_headers=client_headers(new_client()))
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(web_url)
        page.get_by_role("button", name="Chat: Account help").click()
        page.get_by_text("Online", exact=True).wait_for()
        say(page, "can I talk to a person?")
        log = page.get_by_role("log", name="Conversation")
        try:
            log.get_by_text(QUEUED).wait_for()
        except PlaywrightError as problem:
            raise RuntimeError(f"not offered an agent: {log.inner_text()!r}") from problem
        conversation = str(page.evaluate(SESSION_ID))
        page.evaluate(WATCH_AGENT_BUBBLES)
        agent.wait_for(conversation)
        if not agent.take(conversation):
            raise RuntimeError("the agent could not take the conversation")
        latencies = []
        for number in range(replies):
            text = f"reply {number} to {conversation[:8]}"
            started = time.time()
            if agent.reply(conversation, text) != 200:
                raise RuntimeError("the desk refused a reply")
            shown = page.wait_for_function(f"() => window.agentBubbles[{text!r}]").json_value()
            latencies.append(float(shown) / 1000 - started)
        agent.end(conversation)
        return latencies
    finally:
        context.close()


def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def measure(setup: Any, var_dir: Path, learners: int, replies: int) -> dict[str, Any]:
    with setup(var_dir) as (assistant, web_url, token), chromium() as browser:
        agent = DeskAgent(web_url, token, "Bench").sign_in()
        agent.queue()
        try:
            one_learner(assistant, agent, 3)  # warm-up: the first turns load lazily
            widget_learner(browser, web_url, agent, 3)
            sockets = [
                seconds
                for _ in range(learners)
                for seconds in one_learner(assistant, agent, replies)
            ]
            widgets = [
                seconds
                for _ in range(learners)
                for seconds in widget_learner(browser, web_url, agent, replies)
            ]
        finally:
            agent.sign_out()
    return {"widget in Chromium": summary(widgets), "socket.io client": summary(sockets)}


def summary(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "replies": len(ordered),
        "p50_ms": round(1000 * (percentile(ordered, 0.5) or 0), 1),
        "p95_ms": round(1000 * (percentile(ordered, 0.95) or 0), 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def markdown(report: dict[str, Any]) -> str:
    rows = "".join(
        f"| {name} | {learner} | {figures['replies']} | {figures['p50_ms']} "
        f"| {figures['p95_ms']} | {figures['max_ms']} |\n"
        for name, learners in report["latency"].items()
        for learner, figures in learners.items()
    )
    setup = report["setup"]
    return (
        f"# Agent message latency ({writer.when(report)})\n\n"
        f"`{report['command']}` on {report['machine']['cpus']} CPUs. "
        f"{setup['learners']} learners of each kind one after another, "
        f"{setup['replies_per_learner']} agent replies each; from the console's request "
        "leaving to the reply shown in the chat widget in Chromium, or received by a "
        "socket.io client speaking the widget's protocol (bench/handoff.py).\n\n"
        "| setup | learner | replies | p50 (ms) | p95 (ms) | max (ms) |\n"
        "| --- | --- | ---: | ---: | ---: | ---: |\n" + rows
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--learners", type=int, default=5, help="learners, one after another")
    parser.add_argument("--replies", type=int, default=20, help="agent replies per learner")
    writer.add_out(parser, "handoff")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    work = ROOT / "var" / "bench-handoff"
    latency = {
        "single server": measure(single_server, work / "stack", args.learners, args.replies),
        "cluster, 2 replicas": measure(two_replicas, work / "cluster", args.learners, args.replies),
    }
    body = {
        "setup": {"learners": args.learners, "replies_per_learner": args.replies},
        "latency": latency,
    }
    report = writer.write("handoff", command, body, args.out, markdown)
    print(markdown(report))
    return report
