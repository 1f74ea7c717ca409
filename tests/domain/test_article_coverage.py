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


ARTICLE = ROOT.parent / "shared" / "help-article.txt"
# A time figure: "10 minutes", "{minutes} minutes", "3 an hour", "{seconds} s".
TIME_FIGURE = re.compile(
    r"(\d+|\{\w+\})\s*(s|seconds?|minutes?|hours?|days?|weeks?)\b|\b(an|a|per) (hour|day)\b"
)
# Where something is on screen, and how it is done: only as the article says it.
POSITION = re.compile(
    r"\b(top|bottom|upper|lower|corner|menu|sidebar|icon|tab)\b|\b(on|to|at) the (left|right)\b"
)
PROCEDURE_PHRASES = (
    "log out", "sign out", "click", "tap", "choose", "go to", "scroll", "enter",
    "spam", "newest", "urgent", "reply", "settings",
)  # fmt: skip
QUOTED = re.compile(r'"([^"]+)"')


def normalised(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').lower()


def additions() -> list[str]:
    """The response patterns the additions table lists."""
    section = COVERAGE.read_text(encoding="utf-8").split("## Additions", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(utter_[\w*]+)`", section)


def response_texts() -> dict[str, list[str]]:
    """Each response's texts and its buttons' titles: what the learner reads."""
    responses = Domain.load(str(ROOT / "domain.yml")).responses
    return {
        name: [
            text
            for variant in variants
            for text in (
                str(variant.get("text") or ""),
                *(str(button.get("title") or "") for button in variant.get("buttons") or []),
            )
        ]
        for name, variants in responses.items()
    }


def test_time_figures_only_in_listed_additions() -> None:
    listed = additions()
    offending = [
        name
        for name, texts in response_texts().items()
        if any(TIME_FIGURE.search(text) for text in texts)
        and not any(fnmatch.fnmatch(name, pattern) for pattern in listed)
    ]
    assert not offending, f"time figures the article doesn't give: {offending}"


def test_positions_procedures_and_quotes_are_the_articles() -> None:
    """No reply names a place on screen, a procedure or a label the article doesn't."""
    article = normalised(ARTICLE.read_text(encoding="utf-8"))
    problems = []
    for name, texts in response_texts().items():
        for text in texts:
            lowered = normalised(re.sub(r"\{\w+\}|\]\([^)]*\)", "", text))
            problems += [
                f"{name}: '{m.group(0)}'"
                for m in POSITION.finditer(lowered)
                if not re.search(rf"\b{m.group(0)}\b", article)
            ]
            problems += [
                f"{name}: '{p}'" for p in PROCEDURE_PHRASES if p in lowered and p not in article
            ]
            for quote in QUOTED.findall(normalised(text)):
                if "{" not in quote and quote.strip(" .") not in article:
                    problems.append(f'{name}: "{quote}"')
    assert not problems, "not in the article: " + ", ".join(problems)
