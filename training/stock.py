"""Rasa's stock configuration, read from the installed Rasa so it cannot drift from it.

It is the file Rasa's default recipe fills a missing `pipeline` or `policies` from, so training
with it is training with `pipeline:` and `policies:` left empty; written out, the pipeline and
policies also go into the benchmark's cache key and change with a Rasa upgrade.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

_PACKAGE = "rasa.engine.recipes"
_FILE = "config_files/default_config.yml"
SOURCE = f"{_PACKAGE.replace('.', '/')}/{_FILE}"


def stock_config() -> dict[str, Any]:
    """Rasa's default recipe, language, pipeline and policies.

    Rasa's `assistant_id` is a placeholder, not a setting: left out, as in an empty config.
    """
    text = resources.files(_PACKAGE).joinpath(_FILE).read_text(encoding="utf-8")
    return {key: value for key, value in yaml.safe_load(text).items() if key != "assistant_id"}


def stock_config_text() -> str:
    """The stock configuration as a config file."""
    return f"# Rasa's stock configuration: {SOURCE}\n" + yaml.safe_dump(
        stock_config(), sort_keys=False
    )
