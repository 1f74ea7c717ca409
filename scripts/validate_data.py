"""`make validate`: Rasa's data validation, plus the checks it can't do for custom actions.

Rasa warns about every response that no story or rule names, which is every response a
custom action sends; with `--fail-on-warnings` that would fail, without it a real
warning would pass. So this runs Rasa's validator, fails on any warning except "not used
in any story" for a response an action (or a Rasa default action) sends, and checks
each `utter_message(response=…)` in actions/: the response exists, and each of its
`{placeholders}` is filled by the call or names a slot.
"""

from __future__ import annotations

import ast
import re
import string
import sys
import warnings
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from common.links import PAGES

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = ROOT / "actions"
# Sent by Rasa's own default actions (two-stage fallback, default fallback, restart).
RASA_DEFAULT_RESPONSES = {"utter_ask_rephrase", "utter_default", "utter_restart"}
# Rasa's metadata key for the response a bot message came from, not a response name.
RESPONSE_METADATA_KEY = "utter_action"
# Sent by actions that build the name: the "Did you mean …?" titles (actions/fallback.py).
ACTION_RESPONSE_PREFIXES = ("utter_title_",)
# Filled into every response by the response generator (rasa_addons/links.py).
LINKS = set(PAGES)
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
# Intents the support desk triggers (rasa_addons/channels/desk.py): nobody types them, so
# they have no NLU examples.
EXTERNAL_INTENTS = ("agent_joined", "agent_left")
NO_EXAMPLES = re.compile(r"The intent '(\w+)' is listed in the domain file, but is not found")


def action_calls() -> list[tuple[str, str, set[str]]]:
    """(where, response name, keyword names) of every response an action sends by name."""
    calls = []
    for path in sorted(ACTIONS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "utter_message"
            ):
                continue
            keywords = {kw.arg for kw in node.keywords if kw.arg}
            for kw in node.keywords:
                if kw.arg == "response":
                    for name in literal_names(kw.value):
                        calls.append((f"{path.name}:{node.lineno}", name, keywords))
    return calls


def literal_names(node: ast.AST) -> list[str]:
    """The response names written out in a `response=` argument."""
    return [
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
    ]


def names_passed_through() -> set[str]:
    """Response names actions pass as arguments or keep in tables (e.g. send_mail's replies)."""
    names = set()
    for path in ACTIONS.glob("*.py"):
        names.update(re.findall(r"[\"'](utter_\w+)[\"']", path.read_text(encoding="utf-8")))
    return names - {RESPONSE_METADATA_KEY}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def check_actions(domain: Domain) -> list[str]:
    problems = []
    slots = {slot.name for slot in domain.slots}
    for where, name, keywords in action_calls():
        if name not in domain.responses:
            problems.append(f"{where}: response {name!r} is not in the domain")
            continue
        for variant in domain.responses[name]:
            missing = placeholders(variant.get("text") or "") - keywords - slots - LINKS
            if missing:
                problems.append(f"{where}: {name} needs {sorted(missing)} that the call leaves out")
    for name in names_passed_through():
        if name not in domain.responses and not name.startswith(ACTION_RESPONSE_PREFIXES):
            problems.append(f"actions/: response {name!r} is not in the domain")
    return problems


def check_stories_placeholders(domain: Domain, used_by_actions: set[str]) -> list[str]:
    """Responses said by stories or rules get values only from slots."""
    problems = []
    slots = {slot.name for slot in domain.slots}
    for name, variants in domain.responses.items():
        if name in used_by_actions or name.startswith(ACTION_RESPONSE_PREFIXES):
            continue
        for variant in variants:
            missing = placeholders(variant.get("text") or "") - slots - LINKS
            if missing:
                problems.append(f"domain: {name} needs {sorted(missing)}, which no slot holds")
    return problems


def main() -> int:
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    validator = Validator.from_importer(importer)
    used_by_actions = names_passed_through() | RASA_DEFAULT_RESPONSES
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        valid = all(
            [
                validator.verify_domain_validity(),
                validator.verify_actions_in_stories_rules(),
                validator.verify_forms_in_stories_rules(),
                validator.verify_form_slots(),
                validator.verify_slot_mappings(),
                # Warnings are judged below, one by one.
                validator.verify_nlu(ignore_warnings=True),
                # A conflict between stories is an error.
                validator.verify_story_structure(False, max_history=None),
            ]
        )
    problems = []
    for warning in caught:
        text = str(warning.message)
        unused = UNUSED.search(text)
        if unused and (
            unused.group(1) in used_by_actions
            or unused.group(1).startswith(ACTION_RESPONSE_PREFIXES)
        ):
            continue
        if issubclass(warning.category, (DeprecationWarning, FutureWarning)):
            continue
        external = NO_EXAMPLES.search(text)
        if external and external.group(1) in EXTERNAL_INTENTS:
            continue
        problems.append(f"Rasa: {text}")
    domain = validator.domain
    problems += check_actions(domain)
    problems += check_stories_placeholders(domain, used_by_actions)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not valid or problems:
        print("Data validation failed.", file=sys.stderr)
        return 1
    print("Data, domain and actions' responses are consistent.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
