"""The action server serves exactly the custom actions the domain declares."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa_sdk.executor import ActionExecutor


def test_the_action_server_registers_every_domain_action_and_no_other(domain: Domain) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    declared = [name for name in domain.user_actions if not name.startswith("utter_")]
    assert sorted(executor.actions) == sorted(declared)
