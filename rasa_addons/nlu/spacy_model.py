"""Builds the spaCy pipeline the NLU uses, from code, with nothing downloaded.

A blank English pipeline gives spaCy's tokenizer and its `like_email` attribute;
the lookup lemmatizer (tables from the spacy-lookups-data package) gives lemmas
so "logging", "logged" and "log" share features. The tokenizer also learns to
keep whole email addresses together, even in upper case (the stock rules split
"Frank.Muller@GMAIL.COM" at the first dot).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

DEFAULT_PATH = Path("build/spacy-en-accounts")

# Whole-token match for addresses; trailing punctuation is still split off as a suffix.
# Looser than common.addresses on purpose: an address that rule rejects ("a..b@x.com",
# non-ASCII letters) must still be one token for the action to call it wrong; and the
# built pipeline the trained model used keeps this exact pattern.
EMAIL_TOKEN = re.compile(r"^[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+$")


def build_pipeline() -> Language:
    """Returns the blank English pipeline with lemmas and address-aware tokens."""
    nlp = spacy.blank("en")
    tokenizer: Any = nlp.tokenizer
    tokenizer.token_match = EMAIL_TOKEN.match
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "en_accounts"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank English tokenizer with lookup lemmas, built from code."
    return nlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    output = parser.parse_args().output
    output.parent.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(output)
    print(f"spaCy pipeline written to {output}")


if __name__ == "__main__":
    main()
