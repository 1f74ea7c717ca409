"""Every repo-relative file a comment or a doc names exists (or is an output a make target
writes into a git-ignored folder)."""

from __future__ import annotations

import glob
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (
    "account_service|actions|bench|cluster|common|data|deploy|docs|eval|insights|mk|privacy|"
    "rasa_addons|reports|scripts|stack|tests|training|web|widget"
)
REFERENCE = re.compile(
    rf"(?<![\w./-])((?:{FOLDERS})/[\w./<>*{{}}-]*\."
    r"(?:py|yml|yaml|md|json|js|html|txt|sh|mk|png|csv|css|template))"
)
TEXT_FILES = re.compile(r"(\.(py|yml|yaml|md|mk|js|sh|html|toml)|Makefile)$")


def tracked_text_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [name for name in listed if TEXT_FILES.search(name) and (ROOT / name).is_file()]


def generated(reference: str) -> bool:
    """An output a make target writes: in a git-ignored place."""
    return (
        subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", reference], cwd=ROOT, check=False
        ).returncode
        == 0
    )


def exists(reference: str) -> bool:
    pattern = re.sub(r"<[^>]*>|\{[^}]*\}", "*", reference)
    return bool(glob.glob(str(ROOT / pattern)))


def test_every_named_file_exists() -> None:
    missing = []
    for name in tracked_text_files():
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        for match in REFERENCE.finditer(text):
            reference = match.group(1).rstrip(".")
            if not exists(reference) and not generated(reference):
                missing.append(f"{name}: {reference}")
    assert not missing, "names of files that don't exist:\n" + "\n".join(missing)
