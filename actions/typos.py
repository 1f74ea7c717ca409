"""Common misspellings of popular email domains (a fixed list, never the account data).

Used both ways: to warn that a typed address may contain a typo, and to suggest the
misspelled variants a learner may have typed when creating the account.
"""

from __future__ import annotations

MISSPELLINGS: dict[str, tuple[str, ...]] = {
    "gmail.com": ("gmial.com", "gmai.com", "gmail.co", "gmal.com", "gmaill.com", "gnail.com"),
    "yahoo.com": ("yaho.com", "yahooo.com", "yahoo.co", "yhoo.com", "yahho.com"),
    "hotmail.com": ("hotmial.com", "hotmai.com", "hotmail.co", "hotmal.com", "hotmil.com"),
    "outlook.com": ("outlok.com", "outlook.co", "outllok.com", "otlook.com"),
    "icloud.com": ("iclod.com", "icloud.co", "iclould.com", "icoud.com"),
    "aol.com": ("aol.co", "aoll.com", "ao.com"),
    "protonmail.com": ("protonmial.com", "protonmail.co", "protonmal.com"),
    "live.com": ("live.co", "liv.com"),
}

CORRECTIONS: dict[str, str] = {
    typo: domain for domain, typos in MISSPELLINGS.items() for typo in typos
}


def split_address(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain.lower()


def suggested_correction(address: str) -> str | None:
    """Returns the address with a known domain typo fixed, or None if there is none."""
    local, domain = split_address(address)
    correct = CORRECTIONS.get(domain)
    return f"{local}@{correct}" if correct else None


def signup_variants(address: str, limit: int = 4) -> list[str]:
    """Returns likely mistyped versions of `address` that an account may have been created with."""
    local, domain = split_address(address)
    if domain in MISSPELLINGS:
        candidates = MISSPELLINGS[domain]
    elif domain in CORRECTIONS:
        candidates = (CORRECTIONS[domain],)
    else:
        candidates = ()
    return [f"{local}@{candidate}" for candidate in candidates[:limit]]
