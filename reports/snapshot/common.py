"""Small helpers the parts of a snapshot share: exact decimal text, UTC instants, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from metrics.periods import MONTHS, period_start, previous

HISTORY = 12


def exact(value) -> str | None:
    """Decimals (and numbers) as exact strings without trailing zeros; None stays None."""
    if value is None:
        return None
    value = Decimal(str(value))
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def iso(instant: dt.datetime | None) -> str | None:
    return instant.astimezone(dt.UTC).isoformat() if instant else None


def longer(a: str, b: str) -> str:
    return a if MONTHS[a] >= MONTHS[b] else b


def history_starts(start: dt.date, kind: str) -> list[dt.date]:
    starts = [start]
    for _ in range(HISTORY - 1):
        starts.append(previous(starts[-1], kind))
    return starts[::-1]


__all__ = ["HISTORY", "exact", "history_starts", "iso", "longer", "period_start"]
