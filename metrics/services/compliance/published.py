"""Published periods: a registry reports fills (metrics never imports reports)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

# Apps above metrics (reports) register what they have published; metrics never imports them.
# A source is called with a set of families and returns (family, start, end exclusive) of
# every published period of those families.
_published_sources: list = []


def register_published_source(source) -> None:
    if source not in _published_sources:
        _published_sources.append(source)


def published_ranges(families) -> dict:
    """{family: [(start, end exclusive)]} of the published periods of these families."""
    out: dict = defaultdict(list)
    families = set(families)
    if not families:
        return out
    for source in _published_sources:
        for family, start, end in source(families):
            out[family].append((start, end))
    return out


def published(family, period: dt.date, ranges: dict | None = None) -> bool:
    """Whether a report covering the day `period` (a period's first day) was published for the
    family: its results may be recomputed for the live view, but its clocks stay frozen.
    Pass `ranges` (published_ranges of the families) to check many periods in one query."""
    if ranges is None:
        ranges = published_ranges({family})
    return any(start <= period < end for start, end in ranges.get(family, ()))
