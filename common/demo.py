"""DEMO_MODE, the one switch for what only a local demo may show: the mail sent to any
address (the account service's `/outbox` and the demo page's mailbox)."""

from __future__ import annotations

import os
from collections.abc import Mapping


def demo_mode(environ: Mapping[str, str] = os.environ, default: bool = False) -> bool:
    """DEMO_MODE=1 or 0; unset, `default` (the launchers: on; a program started alone: off)."""
    value = environ.get("DEMO_MODE", "").strip()
    if not value:
        return default
    if value not in ("0", "1"):
        raise ValueError(f"DEMO_MODE must be 1 or 0, not {value!r}")
    return value == "1"
