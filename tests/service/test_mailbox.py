"""Which spellings of an address count as one mailbox for the limits."""

from __future__ import annotations

import pytest

from account_service.mailbox import canonical_mailbox

ONE_INBOX = {
    "gmail": ("ana.silva@gmail.com", "anasilva@gmail.com", "A.N.A.Silva+promo@GoogleMail.com"),
    "outlook": ("Ana.Silva@outlook.com", "ana.silva+news@outlook.com"),
    "icloud": ("ana@icloud.com", "ANA+x@icloud.com"),
    "any other domain": ("ana.silva@uni.example", "ANA.SILVA@UNI.EXAMPLE"),
}
DIFFERENT_INBOXES = {
    # Dots count at Microsoft, and a +tag may be a different mailbox at an unknown domain.
    "outlook dots": ("ana.silva@outlook.com", "anasilva@outlook.com"),
    "unknown +tag": ("ana@uni.example", "ana+x@uni.example"),
    "unknown dots": ("ana.silva@uni.example", "anasilva@uni.example"),
    "another microsoft domain": ("ana@outlook.com", "ana@hotmail.com"),
}


@pytest.mark.parametrize("spellings", ONE_INBOX.values(), ids=list(ONE_INBOX))
def test_spellings_of_one_inbox_are_one_mailbox(spellings: tuple[str, ...]) -> None:
    assert len({canonical_mailbox(spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize("pair", DIFFERENT_INBOXES.values(), ids=list(DIFFERENT_INBOXES))
def test_different_inboxes_stay_apart(pair: tuple[str, str]) -> None:
    assert canonical_mailbox(pair[0]) != canonical_mailbox(pair[1])
