"""Seeded synthetic noise for robustness checks: typos, lost punctuation, lowercase.

Email addresses and numbers are left alone: the noise imitates hurried typing of
words, while a mistyped address is a different address (the assistant's typo check
deals with those separately).
"""

from __future__ import annotations

import random
import re
import string

_KEEP = re.compile(r"[@\d]")
_PUNCT = str.maketrans("", "", string.punctuation.replace("@", "").replace(".", ""))
_NEIGHBOURS = {
    row[i]: row[max(i - 1, 0) : i] + row[i + 1 : i + 2]
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i in range(len(row))
}


def strip_punctuation(text: str) -> str:
    """Removes punctuation outside addresses/numbers and collapses spaces."""
    words = []
    for word in text.split():
        if _KEEP.search(word):
            words.append(word.rstrip(".,!?;:\"')"))
        else:
            words.append(word.translate(_PUNCT).replace(".", ""))
    return " ".join(w for w in words if w)


def typo(word: str, rng: random.Random) -> str:
    """One random edit inside a word: swap, drop, double or hit a neighbouring key."""
    if len(word) < 4 or _KEEP.search(word) or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    near = _NEIGHBOURS.get(word[i].lower())
    return word[:i] + rng.choice(near) + word[i + 1 :] if near else word


def with_typos(text: str, rng: random.Random, rate: float = 0.3) -> str:
    """Puts a typo in roughly `rate` of the words of 4+ letters (at least one per message)."""
    words = text.split()
    spots = [
        (i, m.span())
        for i, w in enumerate(words)
        if not _KEEP.search(w)
        for m in re.finditer(r"[A-Za-z]{4,}", w)
    ]
    if not spots:
        return text
    chosen = [s for s in spots if rng.random() < rate] or [rng.choice(spots)]
    for i, (start, end) in chosen:
        w = words[i]
        words[i] = w[:start] + typo(w[start:end], rng) + w[end:]
    return " ".join(words)


PERTURBATIONS = {
    "lowercase": lambda text, rng: text.lower(),
    "no punctuation": lambda text, rng: strip_punctuation(text),
    "typos (~30% of words)": with_typos,
    "all of these": lambda text, rng: with_typos(strip_punctuation(text).lower(), rng),
}
