"""Repeated samples reduced to what the report shows: median with min–max, ratios of medians,
and the knee of a throughput curve. One sample per figure cannot carry a ratio: stock Rasa
at 20 conversations moved by a quarter between runs on the same machine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

# Past the knee, more conversations add latency, not throughput.
KNEE_SHARE_OF_PEAK = 0.9


def spread(values: Iterable[float | None]) -> dict[str, float | int] | None:
    """Median, min, max and count of the samples that have a value; None if none has."""
    present = [float(value) for value in values if value is not None]
    if not present:
        return None
    return {
        "median": round(median(present), 2),
        "min": round(min(present), 2),
        "max": round(max(present), 2),
        "n": len(present),
    }


def pick(sample: Mapping[str, Any], path: str) -> Any:
    """`sample["a"]["b"]` for the path "a.b"; None where a part is missing."""
    value: Any = sample
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def spreads(samples: Sequence[Mapping[str, Any]], paths: Iterable[str]) -> dict[str, Any]:
    """The spread of each figure (by dotted path) over the repeats of one level."""
    return {path: spread(pick(sample, path) for sample in samples) for path in paths}


def mid(figure: Mapping[str, Any] | None) -> float | None:
    return None if figure is None else float(figure["median"])


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 3) if numerator is not None and denominator else None


def knee(points: Sequence[tuple[int, float | None]]) -> int | None:
    """The fewest concurrent conversations whose throughput reaches 90 % of the peak."""
    known = [(level, value) for level, value in points if value is not None]
    if not known:
        return None
    peak = max(value for _, value in known)
    return min(level for level, value in known if value >= KNEE_SHARE_OF_PEAK * peak)
