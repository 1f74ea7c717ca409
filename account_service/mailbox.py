"""The mailbox an address delivers to: what every mail and code limit counts by.

Several spellings reach one inbox at the large providers, so a limit counted per typed
address could be multiplied by spelling it differently. Every limit is keyed by the
canonical mailbox instead; the mail itself still goes to the address as typed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    """How one provider's addresses map onto its mailboxes."""

    # The domain its mailboxes are counted under (other domains of the same service fold in).
    domain: str
    # "name+anything@" is delivered to "name@".
    drops_plus_tag: bool = True
    # Dots in the name are ignored ("j.o.e@" is "joe@").
    ignores_dots: bool = False


_GMAIL = Provider("gmail.com", ignores_dots=True)
# The rules per domain, each from the provider's own documentation of its addresses.
PROVIDERS: dict[str, Provider] = {
    # Gmail ignores dots and +tags, and googlemail.com is the same service's older domain.
    "gmail.com": _GMAIL,
    "googlemail.com": _GMAIL,
    # Microsoft's consumer mail delivers +tags to the base box on each of its domains;
    # dots count, and an alias on another domain may belong to a different account.
    "outlook.com": Provider("outlook.com"),
    "hotmail.com": Provider("hotmail.com"),
    "live.com": Provider("live.com"),
    "msn.com": Provider("msn.com"),
    # Apple iCloud Mail: +tags reach the base box (me.com and mac.com are separate aliases).
    "icloud.com": Provider("icloud.com"),
    "me.com": Provider("me.com"),
    "mac.com": Provider("mac.com"),
    # Proton Mail and Fastmail deliver +tags to the base box.
    "proton.me": Provider("proton.me"),
    "protonmail.com": Provider("protonmail.com"),
    "pm.me": Provider("pm.me"),
    "fastmail.com": Provider("fastmail.com"),
    # Yandex delivers +tags to the base box.
    "yandex.ru": Provider("yandex.ru"),
    "yandex.com": Provider("yandex.com"),
}


def canonical_mailbox(address: str) -> str:
    """One spelling per inbox: case-folded (no large provider tells case apart), then the
    provider's own rules above; an address of any other domain is only case-folded."""
    local, separator, domain = address.strip().casefold().rpartition("@")
    if not separator:
        return address.strip().casefold()
    provider = PROVIDERS.get(domain)
    if provider is None:
        return f"{local}@{domain}"
    if provider.drops_plus_tag:
        local = local.split("+", 1)[0]
    if provider.ignores_dots:
        local = local.replace(".", "")
    return f"{local}@{provider.domain}"
