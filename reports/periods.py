"""Report periods as they appear in URLs: "2026-10" (month), "2026-Q3" (quarter), "2026" (year).

`parse` and `label` are inverses; the report, publishing and portfolio pages all use them.
"""

from __future__ import annotations

import datetime as dt
import re

from agreements.choices import MeasurementPeriod

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")

# Route converter pattern for reports/urls.py: path("<period:period>/", ...) or a re_path group.
PATTERN = r"\d{4}(?:-\d{2}|-[Qq][1-4])?"


def parse(text: str) -> tuple[str, dt.date]:
    """(kind, first day) of a period string; ValueError on anything else."""
    text = (text or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12 or year < 1:
            raise ValueError(f"invalid month: {text!r}")
        return MeasurementPeriod.MONTH.value, dt.date(year, month, 1)
    if m := _QUARTER.match(text):
        year = int(m[1])
        if year < 1:
            raise ValueError(f"invalid year: {text!r}")
        return MeasurementPeriod.QUARTER.value, dt.date(year, (int(m[2]) - 1) * 3 + 1, 1)
    if m := _YEAR.match(text):
        if int(m[1]) < 1:
            raise ValueError(f"invalid year: {text!r}")
        return MeasurementPeriod.YEAR.value, dt.date(int(m[1]), 1, 1)
    raise ValueError(f"not a period: {text!r}")


def label(kind: str, start: dt.date) -> str:
    """The period string of (kind, start); start must be the period's first day."""
    if kind == MeasurementPeriod.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if kind == MeasurementPeriod.QUARTER:
        if start.month not in (1, 4, 7, 10):
            raise ValueError(f"not a quarter start: {start}")
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if kind == MeasurementPeriod.YEAR:
        return f"{start.year:04d}"
    raise ValueError(f"unknown period kind: {kind!r}")


class PeriodConverter:
    """URL converter: `<period:period>` gives the string; views call parse() for (kind, start)."""

    regex = PATTERN

    def to_python(self, value: str) -> str:
        parse(value)  # raises ValueError -> 404
        return value

    def to_url(self, value) -> str:
        if isinstance(value, tuple):
            return label(*value)
        return str(value)
