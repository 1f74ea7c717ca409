"""Every response the assistant can send is accounted for in docs/article-coverage.md:
either as saying an article sentence, or as a listed addition."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]
COVERAGE = ROOT / "docs" / "article-coverage.md"
ARTICLE_SENTENCE_ROWS = 23


def named_in_coverage() -> list[str]:
    return re.findall(r"`(utter_[\w*]+)`", COVERAGE.read_text(encoding="utf-8"))


def test_every_response_is_covered_or_listed_as_an_addition() -> None:
    patterns = named_in_coverage()
    responses = Domain.load(str(ROOT / "domain.yml")).responses
    missing = [name for name in responses if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert not missing, f"not in docs/article-coverage.md: {missing}"


def test_the_coverage_table_names_only_real_responses() -> None:
    responses = Domain.load(str(ROOT / "domain.yml")).responses
    unknown = [
        pattern
        for pattern in named_in_coverage()
        if not any(fnmatch.fnmatch(name, pattern) for name in responses)
    ]
    assert not unknown, f"docs/article-coverage.md names unknown responses: {unknown}"


def test_every_article_sentence_row_names_a_test_file() -> None:
    rows = re.findall(r"^\| (\d+) \|.*\| ([\w ,()]+) \|$", COVERAGE.read_text(), re.MULTILINE)
    assert len(rows) == ARTICLE_SENTENCE_ROWS
    conversations = {path.stem for path in (ROOT / "tests" / "conversations").glob("*.yml")}
    for number, tests in rows:
        files = {part.strip() for part in re.sub(r"\([^)]*\)", "", tests).split(",")}
        assert files <= conversations, f"row {number} names {files - conversations}"
