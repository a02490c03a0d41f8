"""Measurement periods (month, quarter, year) in an agreement's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from agreements.choices import MeasurementPeriod

MONTHS = {MeasurementPeriod.MONTH: 1, MeasurementPeriod.QUARTER: 3, MeasurementPeriod.YEAR: 12}


def agreement_time_zone(agreement) -> str:
    """Periods are cut in the agreement's service window zone, else the tenant's."""
    if agreement.default_calendar_id:
        return agreement.default_calendar.time_zone
    return agreement.tenant.time_zone or "UTC"


def period_start(day: dt.date, kind: str) -> dt.date:
    step = MONTHS[kind]
    month = (day.month - 1) // step * step + 1
    return dt.date(day.year, month, 1)


def period_end(start: dt.date, kind: str) -> dt.date:
    """The first day after the period."""
    months = start.month - 1 + MONTHS[kind]
    return dt.date(start.year + months // 12, months % 12 + 1, 1)


def period_of(instant: dt.datetime, kind: str, tz: str) -> dt.date:
    return period_start(instant.astimezone(ZoneInfo(tz)).date(), kind)


def bounds(start: dt.date, kind: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """The period as UTC instants [start, end)."""
    zone = ZoneInfo(tz)
    end = period_end(start, kind)
    return (
        dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC),
        dt.datetime.combine(end, dt.time(), zone).astimezone(dt.UTC),
    )


def previous(start: dt.date, kind: str) -> dt.date:
    months = start.year * 12 + start.month - 1 - MONTHS[kind]
    return dt.date(months // 12, months % 12 + 1, 1)


def periods_between(first: dt.date, last: dt.date, kind: str) -> list[dt.date]:
    """Period starts from the period holding `first` to the one holding `last`."""
    out, current = [], period_start(first, kind)
    while current <= last:
        out.append(current)
        current = period_end(current, kind)
    return out
