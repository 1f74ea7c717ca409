"""docs/transcripts.md is current: every assistant line in it is one of today's responses.

`make transcripts` records it from a running stack; after a response changes, this fails
until it is recorded again.
"""

from __future__ import annotations

import re
from pathlib import Path

from rasa.shared.core.domain import Domain

from common.links import help_center_links

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = ROOT / "docs" / "transcripts.md"
ASSISTANT_LINE = re.compile(r"^> \*\*Assistant:\*\* (.*?)(?: `\[.*)?\s*$", re.MULTILINE)


def response_patterns() -> list[re.Pattern[str]]:
    """Each response text as a pattern: placeholders match any text, links their defaults."""
    links = help_center_links()
    patterns = []
    for variants in Domain.load(str(ROOT / "domain.yml")).responses.values():
        for variant in variants:
            text = str(variant.get("text") or "")
            for name, url in links.items():
                text = text.replace("{" + name + "}", url)
            parts = re.split(r"\{\w+\}", text)
            patterns.append(re.compile("(.+?)".join(re.escape(part) for part in parts)))
    return patterns


def test_every_assistant_line_is_a_current_response() -> None:
    lines = ASSISTANT_LINE.findall(TRANSCRIPTS.read_text(encoding="utf-8"))
    assert lines, "no assistant lines in docs/transcripts.md"
    patterns = response_patterns()
    stale = [line for line in lines if not any(p.fullmatch(line) for p in patterns)]
    assert not stale, "stale lines (run `make transcripts`):\n" + "\n".join(stale)
