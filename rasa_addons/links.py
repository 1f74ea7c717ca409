"""Rasa's response generator, with the help center's links filled into every response.

Configured in endpoints.yml (`nlg: type: rasa_addons.links.LinkedResponseGenerator`), so
`rasa shell`, `rasa run` and the stack all fill `{reset_password_article}`, `{contact_us}`
and the other links of common/links.py from HELP_CENTER_URL, read once at start.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from common.links import help_center_links


class LinkedResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.links = help_center_links()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        return await super().generate(
            utter_action, tracker, output_channel, **{**self.links, **kwargs}
        )
