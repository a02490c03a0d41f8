"""Properties of the working-time engine over random calendars, zones, holidays and pauses.

Instants are drawn uniformly over 2026 and, half of the time, within a few days of a
DST transition of the calendar's zone, so the transitions are actually exercised.
"""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from metrics.business_time import DAY, WEEK, Calendar, due, elapsed, merge_pauses, working_intervals

# Zones with and without DST, whole-hour, half-hour and 45-minute offsets, a half-hour DST
# shift (Lord Howe) and transitions at local midnight (Havana, Santiago).
ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Havana",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]
STEADY_ZONES = ["UTC", "Asia/Shanghai", "Asia/Kolkata"]
COUNTRIES = [None, None, "CN", "DE", "US"]
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_US = 366 * 86_400 * 1_000_000
US = timedelta(microseconds=1)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def transitions(tz: str) -> tuple[datetime, ...]:
    """UTC instants (to the hour) where the zone's offset changes in 2025-2027."""
    zone = ZoneInfo(tz)
    found, t = [], datetime(2025, 1, 1, tzinfo=UTC)
    previous = t.astimezone(zone).utcoffset()
    while t.year < 2028:
        t += timedelta(hours=1)
        offset = t.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(t)
            previous = offset
    return tuple(found)


@st.composite
def weeks(draw, within: tuple[int, int] | None = None):
    """Random non-overlapping weekly slots (any minute, night shifts included).

    With `within=(lo, hi)` every slot lies inside [lo, hi) minutes of its own day.
    """
    if within:
        lo, hi = within
        days = []
        for _ in range(7):
            cuts = sorted(draw(st.sets(st.integers(lo, hi), max_size=6)))
            cuts = cuts[: len(cuts) // 2 * 2]
            days.append(tuple(zip(cuts[::2], cuts[1::2], strict=True)))
        return tuple(days)
    cuts = sorted(draw(st.sets(st.integers(0, WEEK - 1), max_size=16)))
    cuts = cuts[: len(cuts) // 2 * 2]
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for start, end in zip(cuts[::2], cuts[1::2], strict=True):
        end = min(end, start + DAY)  # a slot lasts at most a day
        days[start // DAY].append((start % DAY, start % DAY + end - start))
    return tuple(tuple(d) for d in days)


def some_dates():
    return st.sets(st.dates(date(2025, 12, 20), date(2027, 1, 10)), max_size=12)


@st.composite
def calendars(draw, zones=ZONES, within: tuple[int, int] | None = None):
    tz = draw(st.sampled_from(zones))
    if within is None and draw(st.integers(0, 7)) == 0:
        return Calendar.always(tz)
    if within is None and draw(st.booleans()):
        # Office-like: same hours on some weekdays, sometimes with a lunch break.
        start = draw(st.integers(0, 20 * 60))
        length = draw(st.integers(30, 12 * 60))
        hours = [(start, start + length)]
        cut = start + length // 2
        if draw(st.booleans()) and length > 120 and cut + 30 < DAY:
            hours = [(start, cut - 30), (cut + 30, start + length)]
        wdays = draw(st.sets(st.integers(0, 6), min_size=1))
        week = tuple(tuple(hours) if wd in wdays else () for wd in range(7))
    else:
        week = draw(weeks(within))
    working = [wd for wd in range(7) if week[wd]]
    holidays = draw(some_dates())
    extra_days = draw(some_dates()) - holidays if working else set()
    return Calendar(
        tz,
        week,
        country=draw(st.sampled_from(COUNTRIES)),
        extra_holidays=frozenset(holidays),
        extra_working_days=frozenset(extra_days),
        reference_weekday=draw(st.sampled_from(working)) if working else 0,
        country_workdays=draw(st.booleans()),
    )


# Instants are drawn and added to in UTC (aware datetimes sharing a zone add and compare by
# wall clock), then shown in a random zone: the engine must treat them as the same instants.


@st.composite
def utc_instants(draw, cal: Calendar):
    """An instant in 2026, often within a few days of one of the zone's DST transitions."""
    near = transitions(cal.tz)
    if near and draw(st.booleans()):
        base = draw(st.sampled_from(near))
        t = base + timedelta(seconds=draw(st.integers(-4 * 86_400, 4 * 86_400)))
        if draw(st.booleans()):
            t += timedelta(microseconds=draw(st.integers(0, 999_999)))
        return t
    return YEAR_START + timedelta(microseconds=draw(st.integers(0, YEAR_US)))


def shown(draw, t: datetime) -> datetime:
    return t.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


def real(t: datetime) -> datetime:
    return t.astimezone(UTC)


@st.composite
def pauses(draw, cal: Calendar, max_size: int = 4):
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(utc_instants(cal))
        end = start + timedelta(seconds=draw(st.integers(0, 3 * 86_400)))
        out.append((shown(draw, start), shown(draw, end)))
    return out


@st.composite
def scenarios(draw, n_instants: int, zones=ZONES, within=None, span_days: int | None = 10):
    """A calendar, sorted instants (spread over at most `span_days`), and pauses around them."""
    cal = draw(calendars(zones, within))
    first = draw(utc_instants(cal))
    points = [first]
    for _ in range(n_instants - 1):
        if span_days is None:
            points.append(draw(utc_instants(cal)))
        else:
            points.append(
                first + timedelta(microseconds=draw(st.integers(0, span_days * 86_400_000_000)))
            )
    points.sort()
    return cal, [shown(draw, p) for p in points], draw(pauses(cal))


def weekly_minutes(cal: Calendar) -> int:
    return sum(e - s for day in cal.week for s, e in day)


def fits(cal: Calendar, *works: timedelta) -> bool:
    """Work that fits in ten normal weeks: due never has to give up (holidays are few)."""
    return cal.has_working_time and all(
        w <= timedelta(minutes=10 * weekly_minutes(cal)) for w in works
    )


def work_amounts():
    return st.one_of(
        st.integers(0, 5_000).map(lambda m: timedelta(minutes=m)),
        st.integers(0, 3 * 86_400_000_000).map(lambda us: timedelta(microseconds=us)),
    )


# -- properties --------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(3, span_days=None))
def test_elapsed_is_additive(scenario):
    cal, (a, b, c), ps = scenario
    assert elapsed(cal, a, b, ps) + elapsed(cal, b, c, ps) == elapsed(cal, a, c, ps)


@SETTINGS
@given(scenarios(1), work_amounts())
def test_elapsed_until_due_is_exactly_the_work_and_due_is_the_earliest_such_instant(scenario, work):
    cal, (a,), ps = scenario
    assume(fits(cal, work))
    d = due(cal, a, work, ps)
    assert d >= a
    assert elapsed(cal, a, d, ps) == work
    if work:
        assert elapsed(cal, a, real(d) - US, ps) < work


@SETTINGS
@given(scenarios(1), work_amounts(), work_amounts())
def test_due_is_monotonic_in_the_work(scenario, w1, w2):
    cal, (a,), ps = scenario
    assume(fits(cal, w1, w2))
    lo, hi = sorted((w1, w2))
    assert due(cal, a, lo, ps) <= due(cal, a, hi, ps)


@SETTINGS
@given(scenarios(1), work_amounts(), st.data())
def test_pauses_learned_later_never_make_due_earlier(scenario, work, data):
    cal, (a,), ps = scenario
    assume(fits(cal, work))
    more = ps + data.draw(pauses(cal, max_size=2))
    assert due(cal, a, work, ps) <= due(cal, a, work, more)
    assert due(cal, a, work) <= due(cal, a, work, ps)


@SETTINGS
@given(scenarios(2, span_days=None))
def test_elapsed_never_exceeds_wall_clock_time(scenario):
    cal, (a, b), ps = scenario
    assert timedelta(0) <= elapsed(cal, a, b, ps) <= real(b) - real(a)


@SETTINGS
@given(scenarios(2), st.data())
def test_pauses_never_increase_elapsed(scenario, data):
    cal, (a, b), ps = scenario
    more = ps + data.draw(pauses(cal, max_size=2))
    assert elapsed(cal, a, b, more) <= elapsed(cal, a, b, ps) <= elapsed(cal, a, b)


@SETTINGS
@given(scenarios(2))
def test_pause_order_and_duplicates_do_not_matter(scenario):
    cal, (a, b), ps = scenario
    assert elapsed(cal, a, b, ps) == elapsed(cal, a, b, list(reversed(ps)) + ps)


@SETTINGS
@given(st.sampled_from(ZONES).flatmap(lambda tz: scenarios(2, zones=[tz])))
def test_24x7_is_real_elapsed_time_minus_paused_time(scenario):
    cal, (a, b), ps = scenario
    always = Calendar.always(cal.tz)
    paused = sum((pe - ps_ for ps_, pe in merge_pauses(ps, a, b)), timedelta(0))
    assert elapsed(always, a, b, ps) == (real(b) - real(a)) - paused


@SETTINGS
@given(scenarios(2, span_days=None))
def test_elapsed_is_the_sum_of_the_working_intervals(scenario):
    cal, (a, b), _ = scenario
    intervals = list(working_intervals(cal, a, b))
    assert all(s < e for s, e in intervals)
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(intervals))
    assert sum((e - s for s, e in intervals), timedelta(0)) == elapsed(cal, a, b)


# -- against a brute-force, minute-by-minute count on the local wall clock -----------------------
# The wall-clock count is only right where no DST transition falls inside a slot, so it runs
# with zones without DST (any slots) and with DST zones when slots keep to 05:00-21:00 (no
# zone in ZONES changes its clocks then).


def brute_force_minutes(cal: Calendar, a: datetime, b: datetime) -> int:
    zone, count, t = cal.zone, 0, a
    while t < b:
        local = t.astimezone(zone).replace(tzinfo=None)
        for day in (local.date(), local.date() - timedelta(days=1)):
            midnight = datetime(day.year, day.month, day.day)
            if any(
                midnight + timedelta(minutes=s) <= local < midnight + timedelta(minutes=e)
                for s, e in cal.slots_on(day)
            ):
                count += 1
                break
        t += timedelta(minutes=1)
    return count


@st.composite
def minute_aligned_spans(draw, zones, within):
    cal = draw(calendars(zones, within))
    start = YEAR_START + timedelta(minutes=draw(st.integers(0, 365 * DAY)))
    near = transitions(cal.tz)
    if near and draw(st.booleans()):
        start = draw(st.sampled_from(near)).replace(minute=0) - timedelta(
            minutes=draw(st.integers(0, 2 * DAY))
        )
    return cal, start, start + timedelta(minutes=draw(st.integers(0, 3 * DAY)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(minute_aligned_spans(STEADY_ZONES, None), minute_aligned_spans(ZONES, (300, 1260)))
)
def test_elapsed_matches_a_minute_by_minute_count(case):
    cal, a, b = case
    assert elapsed(cal, a, b) == timedelta(minutes=brute_force_minutes(cal, a, b))
