"""Working time under a business calendar: elapsed working time and due instants.

Pure Python, no Django. Everything an SLA clock needs:

- ``Calendar``: an immutable value (time zone, weekly slots, holidays, extra
  working days). ``Calendar.business_hours(...)`` and ``Calendar.always(tz)``
  build the usual ones.
- ``elapsed(cal, start, end, pauses)``: working time between two instants,
  minus pauses, as an exact ``timedelta`` (microsecond arithmetic, no rounding).
- ``due(cal, start, minutes, pauses)``: the earliest instant at which that much
  working time has passed.
- ``window_minutes(cal, start, end)``: working minutes in a period.
- ``working_intervals(cal, start, end)``: the working intervals themselves.

Semantics (see docs/decisions/002-business-time.md):

- Slots are wall-clock times in the calendar's zone on a local date. A slot
  whose end is not after its start crosses midnight and belongs to the date it
  starts on (a holiday on that date removes the whole night shift).
- Wall-clock times are turned into instants per local date. A time that does
  not exist (skipped by DST) becomes the first valid instant after the gap (the
  transition itself); an ambiguous time (repeated by DST) is its first
  occurrence. So DST lengthens or shortens only the slots that contain the
  transition (normally none: the night), and a 24x7 calendar equals real
  elapsed time (a 23-hour day has 23 hours).
- A date is resolved in this order: the calendar's own extra holidays (off),
  its own extra working days (on), the country's public holidays (off), the
  country's make-up working days from the ``holidays`` package such as China's
  working weekends (on, unless ``country_workdays=False``), else the weekday's
  slots. A date that is "on" uses its weekday's slots, or when the weekday has
  none (a Saturday) the slots of ``reference_weekday`` (Monday by default).
- Pauses are intervals in which the clock stops (waiting on the customer);
  they may overlap each other and stick out of [start, end]: their union
  inside [start, end] is not counted.
- All arithmetic is done in UTC and instants come back in UTC, so comparisons
  never trip over Python's rule that datetimes sharing a tzinfo compare and
  subtract by wall time (wrong across a DST change).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = [
    "Calendar",
    "Interval",
    "Pause",
    "Slot",
    "WEEKDAY_NAMES",
    "due",
    "elapsed",
    "elapsed_minutes",
    "is_working",
    "merge_pauses",
    "parse_slots",
    "window_minutes",
    "working_intervals",
]

Slot = tuple[int, int]
"""(start, end) in minutes after the local midnight of the day the slot starts
on; ``0 <= start < 1440`` and ``start < end <= start + 1440``. An ``end`` above
1440 means the slot crosses midnight; (0, 1440) is the whole day."""

Interval = tuple[datetime, datetime]
Pause = tuple[datetime, datetime]

DAY = 1440
WEEK = 7 * DAY
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ZERO = timedelta(0)
MINUTE = timedelta(minutes=1)
# How far `due` looks ahead before giving up (a calendar whose working time is
# all holidays, or pauses covering years, would otherwise loop for ever).
DUE_SCAN_YEARS = 5
_DUE_SCAN_DAYS = DUE_SCAN_YEARS * 366
_CACHE_LIMIT = 50_000  # cached days per calendar before the cache is dropped

_SLOT_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


# --------------------------------------------------------------------------
# Calendar


@dataclass(frozen=True)
class Calendar:
    """A plain, immutable working-time calendar.

    ``week`` holds the slots of each weekday, Monday first (7 tuples).
    Prefer the constructors ``business_hours``, ``weekly`` and ``always``.
    """

    tz: str
    week: tuple[tuple[Slot, ...], ...]
    country: str | None = None
    subdiv: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    reference_weekday: int = 0
    country_workdays: bool = True
    # Derived, not part of the value: the zone object and a per-day cache of
    # working intervals in UTC.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _days: dict[int, tuple[Interval, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise through the back door
        set_(self, "_zone", _zone(self.tz))
        try:
            week = tuple(tuple(sorted((int(s), int(e)) for s, e in day)) for day in self.week)
        except (TypeError, ValueError):
            raise ValueError(
                "week must be 7 sequences (Monday first) of (start, end) minute pairs"
            ) from None
        if len(week) != 7:
            raise ValueError(f"week must have 7 weekdays (Monday first), got {len(week)}")
        set_(self, "week", week)
        set_(self, "extra_holidays", frozenset(_as_date(d) for d in self.extra_holidays))
        set_(self, "extra_working_days", frozenset(_as_date(d) for d in self.extra_working_days))
        _check_week(week)
        if not 0 <= self.reference_weekday <= 6:
            raise ValueError(
                f"reference_weekday must be 0 (Monday) to 6, got {self.reference_weekday}"
            )
        both = self.extra_holidays & self.extra_working_days
        if both:
            raise ValueError(
                "dates cannot be both extra holidays and extra working days: "
                + ", ".join(d.isoformat() for d in sorted(both))
            )
        if self.extra_working_days and not week[self.reference_weekday]:
            raise ValueError(
                f"extra working days need slots on the reference weekday "
                f"{WEEKDAY_NAMES[self.reference_weekday]}, which has none"
            )
        if self.subdiv and not self.country:
            raise ValueError("a holiday subdivision needs a country")
        if self.country:
            try:
                holidays_lib.country_holidays(self.country, subdiv=self.subdiv)
            except NotImplementedError as exc:
                raise ValueError(f"unknown holiday country/subdivision: {exc}") from None

    # -- constructors -------------------------------------------------------

    @classmethod
    def business_hours(
        cls,
        tz: str,
        hours: str | Iterable[str] = "09:00-18:00",
        weekdays: Iterable[int] = range(5),
        **options,
    ) -> Calendar:
        """The same hours on each of ``weekdays`` (0 = Monday).

        ``hours`` is "09:00-18:00", "09:00-12:00,13:00-18:00" or a list of such
        strings; "22:00-06:00" crosses midnight, "00:00-24:00" is the whole day.
        ``options``: country, subdiv, extra_holidays, extra_working_days,
        reference_weekday, country_workdays.
        """
        slots = parse_slots(hours)
        days = set(weekdays)
        if not days <= set(range(7)):
            raise ValueError(f"weekdays must be 0 (Monday) to 6, got {sorted(days)}")
        return cls(tz, tuple(slots if wd in days else () for wd in range(7)), **options)

    @classmethod
    def weekly(cls, tz: str, hours: Mapping[int, str | Iterable[str]], **options) -> Calendar:
        """Different hours per weekday: ``{0: "09:00-18:00", 5: "10:00-14:00"}``."""
        if not set(hours) <= set(range(7)):
            raise ValueError(f"weekdays must be 0 (Monday) to 6, got {sorted(hours)}")
        return cls(tz, tuple(parse_slots(hours.get(wd, ())) for wd in range(7)), **options)

    @classmethod
    def always(cls, tz: str = "UTC") -> Calendar:
        """24x7: working time equals real elapsed time, DST included."""
        return cls(tz, (((0, DAY),),) * 7)

    # -- queries ------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def has_working_time(self) -> bool:
        """False when no weekday has any slot: then nothing is ever due."""
        return any(self.week)

    @property
    def is_always(self) -> bool:
        return (
            all(day == ((0, DAY),) for day in self.week)
            and not self.country
            and not self.extra_holidays
        )

    def slots_on(self, day: date) -> tuple[Slot, ...]:
        """The slots that start on a local date, after holidays and working days."""
        own = self.week[day.weekday()]
        if day in self.extra_holidays:
            return ()
        if day in self.extra_working_days:
            return own or self.week[self.reference_weekday]
        if self.country:
            off, on = _country_days(self.country, self.subdiv, day.year)
            if day in off:
                return ()
            if self.country_workdays and day in on:
                return own or self.week[self.reference_weekday]
        return own

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """Working intervals (UTC) of the slots starting on a local date. Cached."""
        key = day.toordinal()
        hit = self._days.get(key)
        if hit is None:
            zone = self._zone
            hit = tuple(
                (_wall_to_utc(day, s, zone), _wall_to_utc(day, e, zone))
                for s, e in self.slots_on(day)
            )
            if len(self._days) >= _CACHE_LIMIT:
                self._days.clear()
            self._days[key] = hit
        return hit


def parse_slots(hours: str | Iterable[str]) -> tuple[Slot, ...]:
    """ "09:00-12:00,13:00-18:00" (or a list of "HH:MM-HH:MM") -> slots."""
    parts = hours.split(",") if isinstance(hours, str) else list(hours)
    slots = []
    for part in parts:
        if isinstance(part, str) and not part.strip():
            continue
        m = _SLOT_RE.match(part) if isinstance(part, str) else None
        if not m:
            raise ValueError(f"bad time slot {part!r}: expected 'HH:MM-HH:MM'")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"bad time slot {part!r}: times run from 00:00 to 24:00")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == start:
            raise ValueError(f"empty time slot {part!r} (use 00:00-24:00 for a whole day)")
        if end < start:
            end += DAY  # crosses midnight: belongs to the day it starts on
        slots.append((start, end))
    return tuple(sorted(slots))


def _fmt_slot(wd: int, slot: Slot) -> str:
    """ "Mon 09:00-18:00", "Fri 22:00-06:00(+1)", "Sun 00:00-24:00"."""
    s, e = slot
    end = "24:00" if e == DAY else f"{e % DAY // 60:02d}:{e % 60:02d}"
    return f"{WEEKDAY_NAMES[wd]} {s // 60:02d}:{s % 60:02d}-{end}" + ("(+1)" if e > DAY else "")


def _check_week(week: tuple[tuple[Slot, ...], ...]) -> None:
    """Slots must be well-formed and not overlap, also across midnight and Sunday->Monday."""
    spans = []
    for wd, day in enumerate(week):
        for s, e in day:
            if not (0 <= s < DAY and s < e <= s + DAY):
                raise ValueError(
                    f"bad slot ({s}, {e}) on {WEEKDAY_NAMES[wd]}: need 0 <= start < 1440 "
                    "and start < end <= start + 1440 (minutes)"
                )
            spans.append((wd * DAY + s, wd * DAY + e, wd, (s, e)))
    spans.sort()
    # Compare neighbours, and the last slot of the week against the first of the next week.
    pairs = list(itertools.pairwise(spans))
    if len(spans) > 1:
        first = spans[0]
        pairs.append((spans[-1], (first[0] + WEEK, first[1] + WEEK, first[2], first[3])))
    for (_, end_a, wd_a, slot_a), (start_b, _, wd_b, slot_b) in pairs:
        if start_b < end_a:
            raise ValueError(
                f"time slots overlap: {_fmt_slot(wd_a, slot_a)} and {_fmt_slot(wd_b, slot_b)}"
            )


def _zone(tz: str) -> ZoneInfo:
    if not isinstance(tz, str) or not tz:
        raise ValueError(f"time zone must be an IANA name such as 'Asia/Shanghai', got {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz!r} (expected an IANA name such as 'Asia/Shanghai')"
        ) from None


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"expected a date, got the datetime {value!r}")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a date or 'YYYY-MM-DD', got {value!r}") from None


@functools.lru_cache(maxsize=2048)
def _country_days(
    country: str, subdiv: str | None, year: int
) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up working days) of one country and year, loaded lazily."""
    table = holidays_lib.country_holidays(country, subdiv=subdiv, years=year)
    off = frozenset(d for d in table if d.year == year)
    on = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return off, on - off


def _wall_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Wall-clock `minute` after the local midnight of `day`, as a UTC instant.

    Ambiguous (repeated) times take their first occurrence; times skipped by a
    DST gap become the first valid instant after the gap.
    """
    d = day + timedelta(days=minute // DAY)
    m = minute % DAY
    wall = datetime(d.year, d.month, d.day, m // 60, m % 60)
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: earlier offset
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    return _gap_end(wall, zone)


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that ends the DST gap containing the nonexistent `wall`."""
    before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    after = wall.replace(tzinfo=zone, fold=1).utcoffset()
    lo = (wall - after).replace(tzinfo=UTC)  # before the transition
    hi = (wall - before).replace(tzinfo=UTC)  # at or after it
    target = hi.astimezone(zone).utcoffset()
    # Transitions fall on whole seconds: bisect down to one second.
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) // 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------
# Input checks


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be time-zone aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    a, b = _utc(start, "start"), _utc(end, "end")
    if a > b:
        raise ValueError(f"start {start.isoformat()} is after end {end.isoformat()}")
    return a, b


def merge_pauses(
    pauses: Iterable[Pause], lo: datetime, hi: datetime | None = None
) -> list[Interval]:
    """Pauses clipped to [lo, hi], sorted, overlapping or touching ones merged (UTC)."""
    clipped = []
    for i, pause in enumerate(pauses):
        try:
            ps, pe = pause
        except (TypeError, ValueError):
            raise ValueError(f"pause #{i} must be a (start, end) pair, got {pause!r}") from None
        ps, pe = _utc(ps, f"pause #{i} start"), _utc(pe, f"pause #{i} end")
        if ps > pe:
            raise ValueError(f"pause #{i} starts {ps.isoformat()} after it ends {pe.isoformat()}")
        ps = max(ps, lo)
        if hi is not None:
            pe = min(pe, hi)
        if ps < pe:
            clipped.append((ps, pe))
    clipped.sort()
    merged: list[Interval] = []
    for ps, pe in clipped:
        if merged and ps <= merged[-1][1]:
            if pe > merged[-1][1]:
                merged[-1] = (merged[-1][0], pe)
        else:
            merged.append((ps, pe))
    return merged


# --------------------------------------------------------------------------
# Working intervals


def _local_date(cal: Calendar, instant: datetime) -> date:
    return instant.astimezone(cal.zone).date()


def _intervals(cal: Calendar, first: date, last: date) -> Iterator[Interval]:
    """Working intervals (UTC) of the slots starting on local dates first..last.

    Sorted by start. Overlaps (possible only through night shifts meeting extra
    working days) are merged; touching intervals are not, so a 24x7 calendar
    still yields day by day.
    """
    current: Interval | None = None
    day = first
    one = timedelta(days=1)
    while day <= last:
        for s, e in cal.day_intervals(day):
            if current is None:
                current = (s, e)
            elif s < current[1]:
                if e > current[1]:
                    current = (current[0], e)
            else:
                yield current
                current = (s, e)
        day += one
    if current is not None:
        yield current


def _work(cal: Calendar, a: datetime, b: datetime) -> timedelta:
    """Working time inside [a, b] (UTC, a <= b)."""
    total = ZERO
    if a >= b:
        return total
    # A slot starting the local day before `a` can still run (night shift).
    for s, e in _intervals(cal, _local_date(cal, a) - timedelta(days=1), _local_date(cal, b)):
        if e <= a:
            continue
        if s >= b:
            break
        total += min(e, b) - max(s, a)
    return total


def working_intervals(cal: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """The working intervals inside [start, end], clipped, as UTC (start, end) pairs."""
    a, b = _span(start, end)
    for s, e in _intervals(cal, _local_date(cal, a) - timedelta(days=1), _local_date(cal, b)):
        if e <= a:
            continue
        if s >= b:
            break
        if max(s, a) < min(e, b):
            yield max(s, a), min(e, b)


def is_working(cal: Calendar, instant: datetime) -> bool:
    """Whether the clock runs at this instant (slot starts included, ends excluded)."""
    t = _utc(instant, "instant")
    day = _local_date(cal, t)
    for s, e in _intervals(cal, day - timedelta(days=1), day):
        if s <= t < e:
            return True
    return False


# --------------------------------------------------------------------------
# The SLA clock


def elapsed(
    cal: Calendar, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
) -> timedelta:
    """Working time between two aware instants, minus the pauses (exact timedelta).

    Raises ValueError for naive datetimes or start after end. A calendar without
    working time gives 0.
    """
    a, b = _span(start, end)
    total = _work(cal, a, b)
    for ps, pe in merge_pauses(pauses, a, b):
        total -= _work(cal, ps, pe)
    return total


def elapsed_minutes(
    cal: Calendar, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
) -> float:
    """``elapsed`` in minutes (float; fractions are seconds and below)."""
    return elapsed(cal, start, end, pauses) / MINUTE


def window_minutes(cal: Calendar, period_start: datetime, period_end: datetime) -> float:
    """Working minutes inside a period (the service window, for availability).

    The working part of an outage is ``elapsed(cal, outage_start, outage_end)``
    (clip the outage to the period first).
    """
    return elapsed(cal, period_start, period_end) / MINUTE


def due(
    cal: Calendar,
    start: datetime,
    minutes: float | timedelta,
    pauses: Iterable[Pause] = (),
) -> datetime:
    """The earliest instant by which `minutes` of working time have passed since `start`.

    Pauses (known so far) stop the clock. ``elapsed(cal, start, due(...), pauses)``
    equals the requested work exactly. Returned in UTC: aware datetimes sharing a
    zone compare and subtract by wall clock, which is wrong across a DST change.
    ``minutes`` = 0 gives `start`. Raises ValueError when the calendar has no
    working time at all or the work does not fit within DUE_SCAN_YEARS years.
    """
    need = minutes if isinstance(minutes, timedelta) else timedelta(minutes=minutes)
    if need < ZERO:
        raise ValueError(f"working time must not be negative, got {minutes!r}")
    a = _utc(start, "start")
    paused = merge_pauses(pauses, a)
    if need == ZERO:
        return a
    if not cal.has_working_time:
        raise ValueError(
            f"calendar has no working time at all ({cal.tz}, no slots): nothing is ever due"
        )
    first = _local_date(cal, a) - timedelta(days=1)
    i = 0
    for s, e in _intervals(cal, first, first + timedelta(days=_DUE_SCAN_DAYS)):
        if e <= a:
            continue
        s = max(s, a)
        while s < e:
            while i < len(paused) and paused[i][1] <= s:
                i += 1
            if i < len(paused) and paused[i][0] <= s:
                s = paused[i][1]  # inside a pause: the clock resumes at its end
                continue
            stop = min(e, paused[i][0]) if i < len(paused) else e
            if stop - s >= need:
                return s + need
            need -= stop - s
            s = stop
    raise ValueError(
        f"{minutes} working minutes after {start.isoformat()} do not fit within "
        f"{DUE_SCAN_YEARS} years under this calendar"
    )
