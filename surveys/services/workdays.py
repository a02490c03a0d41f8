"""Working days under an agreement's calendar (metrics.business_time decides what a working day is)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from metrics.business_time import Calendar

MAX_SCAN_DAYS = 400


def add_working_days(cal: Calendar, start: datetime, days: int) -> datetime:
    """The end (next local midnight) of the `days`-th working day after `start`'s local date.

    "Answer within 3 working days" sent on a Friday under a Mon-Fri calendar: the
    window ends with Wednesday. A day counts when the calendar has working time on it
    (public holidays and make-up working days included). Returned in UTC.
    """
    zone = cal.zone
    day = start.astimezone(zone).date()
    counted = 0
    for _ in range(MAX_SCAN_DAYS):
        day += timedelta(days=1)
        if cal.day_intervals(day):
            counted += 1
            if counted >= days:
                end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                return end.astimezone(UTC)
    # A calendar without any working day: calendar days rather than never.
    return (start + timedelta(days=days)).astimezone(UTC)
