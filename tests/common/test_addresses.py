"""The address rules the actions, the account service and the tools share."""

from __future__ import annotations

import pytest

from common.addresses import (
    is_valid_domain,
    is_valid_email,
    mask_addresses_in_text,
    mask_email,
    normalize_email,
)


@pytest.mark.parametrize(
    "address",
    ["ana.silva@example.com", " Emma.J.Jones@GMAIL.com ", "o'brien+courses@mail.example.co.uk"],
)
def test_well_formed_addresses_pass(address: str) -> None:
    assert is_valid_email(address)


@pytest.mark.parametrize(
    "value",
    [
        ".ana@example.com",
        "ana.@example.com",
        "a..b@example.com",
        "ana@-example.com",
        "ana@example.c0m",
        "ana@example." + "a" * 25,
        "a" * 243 + "@example.com",
        "jürgen@example.de",
        None,
        42,
    ],
)
def test_what_the_service_would_refuse_is_refused_everywhere(value: object) -> None:
    assert not is_valid_email(value)


def test_addresses_have_one_stored_form() -> None:
    assert normalize_email("  Ana.Silva@Example.COM ") == "ana.silva@example.com"


@pytest.mark.parametrize(
    ("domain", "valid"),
    [
        ("stateuniversity.edu", True),
        ("mail.example.co.uk", True),
        ("not_a_domain", False),
        ("-example.com", False),
        ("example", False),
    ],
)
def test_domains_follow_the_address_rule(domain: str, valid: bool) -> None:
    assert is_valid_domain(domain) is valid


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("emma.j.jones@gmail.com", "e***@gmail.com"),
        ("  G@protonmail.com ", "G***@protonmail.com"),
        ("not-an-address", "***"),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("I use ana.silva@example.com, I think", "I use a***@example.com, I think"),
        ("it's <Emma.Jones@Yahoo.com>.", "it's <E***@Yahoo.com>."),
        ("'ben@gmail.com' or \"chloe@outlook.com\"", "'b***@gmail.com' or \"c***@outlook.com\""),
        ("o'brien@example.com", "o***@example.com"),
        ("jürgen@exämple.de and ana@localhost", "j***@exämple.de and a***@localhost"),
        ("mailto:ana@example.com", "mailto:a***@example.com"),
    ],
)
def test_every_address_like_word_is_masked(text: str, masked: str) -> None:
    assert mask_addresses_in_text(text) == masked


@pytest.mark.parametrize(
    "text", ["meet me @ noon", "@ana said hi", "a***@example.com", "no address here"]
)
def test_text_without_a_full_address_is_left_alone(text: str) -> None:
    assert mask_addresses_in_text(text) == text
