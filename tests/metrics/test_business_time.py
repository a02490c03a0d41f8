"""Examples and edge cases of the working-time engine (pure, no database)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics.business_time import (
    Calendar,
    due,
    elapsed,
    elapsed_minutes,
    is_working,
    window_minutes,
    working_intervals,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


HOURS = timedelta(hours=1)

# Mon-Fri 09:00-18:00 in Shanghai. 2026-03-13 is a Friday, 2026-03-16 a Monday.
OFFICE = Calendar.business_hours("Asia/Shanghai", "09:00-18:00", weekdays=range(5))


# -- the examples from the requirements --------------------------------------------------------


def test_friday_evening_to_monday_morning_counts_50_minutes():
    assert elapsed(OFFICE, sh(2026, 3, 13, 17, 30), sh(2026, 3, 16, 9, 20)) == minutes(50)
    assert elapsed_minutes(OFFICE, sh(2026, 3, 13, 17, 30), sh(2026, 3, 16, 9, 20)) == 50.0


def test_one_business_hour_from_friday_1730_is_due_monday_0930():
    assert due(OFFICE, sh(2026, 3, 13, 17, 30), 60) == sh(2026, 3, 16, 9, 30)


def test_due_skips_a_monday_holiday_to_tuesday_0930():
    cal = Calendar.business_hours("Asia/Shanghai", extra_holidays={date(2026, 3, 16)})
    assert due(cal, sh(2026, 3, 13, 17, 30), 60) == sh(2026, 3, 17, 9, 30)


def test_ticket_opened_and_answered_on_a_saturday_counts_zero():
    assert elapsed(OFFICE, sh(2026, 3, 14, 10, 0), sh(2026, 3, 14, 16, 0)) == timedelta(0)


def test_due_from_a_saturday_starts_counting_monday_morning():
    assert due(OFFICE, sh(2026, 3, 14, 10, 0), 60) == sh(2026, 3, 16, 10, 0)


# -- basic semantics ---------------------------------------------------------------------------


def test_due_returns_the_earliest_instant_so_work_ending_at_closing_time_is_due_then():
    assert due(OFFICE, sh(2026, 3, 13, 17, 30), 30) == sh(2026, 3, 13, 18, 0)


def test_due_of_zero_minutes_is_the_start_even_outside_working_time():
    assert due(OFFICE, sh(2026, 3, 14, 3, 0), 0) == sh(2026, 3, 14, 3, 0)


def test_due_accepts_a_timedelta_and_returns_utc():
    # 09:00 UTC is 17:00 in Shanghai: one hour to closing time, the second left over on Monday.
    result = due(OFFICE, datetime(2026, 3, 13, 9, 0, tzinfo=UTC), timedelta(hours=1, seconds=1))
    assert result == sh(2026, 3, 16, 9, 0, 1)
    assert result.utcoffset() == timedelta(0)


def test_elapsed_is_exact_to_the_microsecond():
    start = sh(2026, 3, 16, 9, 0, 0, 250_000)
    end = sh(2026, 3, 16, 9, 0, 10, 500_001)
    assert elapsed(OFFICE, start, end) == timedelta(seconds=10, microseconds=250_001)


def test_instants_in_other_zones_are_the_same_instants():
    start = sh(2026, 3, 13, 17, 30).astimezone(NEW_YORK)
    end = sh(2026, 3, 16, 9, 20).astimezone(BERLIN)
    assert elapsed(OFFICE, start, end) == minutes(50)


def test_window_minutes_of_march_2026_is_22_days_of_9_hours():
    assert window_minutes(OFFICE, sh(2026, 3, 1), sh(2026, 4, 1)) == 22 * 9 * 60


def test_working_part_of_an_outage_is_its_elapsed_working_time():
    # Outage Friday 16:00 to Monday 10:00: 2 h Friday + 1 h Monday inside the window.
    assert elapsed(OFFICE, sh(2026, 3, 13, 16, 0), sh(2026, 3, 16, 10, 0)) == 3 * HOURS


def test_working_intervals_are_clipped_to_the_range():
    got = list(working_intervals(OFFICE, sh(2026, 3, 13, 17, 0), sh(2026, 3, 16, 10, 0)))
    assert got == [
        (sh(2026, 3, 13, 17, 0), sh(2026, 3, 13, 18, 0)),
        (sh(2026, 3, 16, 9, 0), sh(2026, 3, 16, 10, 0)),
    ]


def test_is_working_includes_slot_start_and_excludes_slot_end():
    assert is_working(OFFICE, sh(2026, 3, 16, 9, 0))
    assert not is_working(OFFICE, sh(2026, 3, 16, 18, 0))
    assert not is_working(OFFICE, sh(2026, 3, 14, 12, 0))


# -- holidays and working days -----------------------------------------------------------------


def test_holiday_on_a_friday_before_a_weekend_pushes_due_to_monday():
    cal = Calendar.business_hours("Asia/Shanghai", extra_holidays={date(2026, 3, 13)})
    opened = sh(2026, 3, 12, 17, 30)  # Thursday
    assert due(cal, opened, 60) == sh(2026, 3, 16, 9, 30)
    assert elapsed(cal, opened, sh(2026, 3, 16, 9, 30)) == minutes(60)


def test_cn_national_day_from_the_holidays_package_is_not_worked():
    cal = Calendar.business_hours("Asia/Shanghai", country="CN")
    assert elapsed(cal, sh(2026, 10, 1, 9, 0), sh(2026, 10, 1, 18, 0)) == timedelta(0)
    # Wed 30 Sep 17:30 + 1 h: 1-7 Oct are off (holidays and weekend), so Thu 8 Oct 09:30.
    assert due(cal, sh(2026, 9, 30, 17, 30), 60) == sh(2026, 10, 8, 9, 30)


def test_chinese_make_up_working_saturday_from_the_holidays_package_is_worked():
    cal = Calendar.business_hours("Asia/Shanghai", country="CN")
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert elapsed(cal, sh(2026, 10, 10, 0, 0), sh(2026, 10, 11, 0, 0)) == 9 * HOURS
    off = Calendar.business_hours("Asia/Shanghai", country="CN", country_workdays=False)
    assert elapsed(off, sh(2026, 10, 10, 0, 0), sh(2026, 10, 11, 0, 0)) == timedelta(0)


def test_chinese_make_up_saturday_uses_the_reference_weekday_slots():
    # Mondays 08:00-12:00, Tuesday-Friday 09:00-18:00; the make-up Saturday works like a Monday.
    hours = {
        0: "08:00-12:00",
        1: "09:00-18:00",
        2: "09:00-18:00",
        3: "09:00-18:00",
        4: "09:00-18:00",
    }
    cal = Calendar.weekly("Asia/Shanghai", hours, country="CN")
    assert list(working_intervals(cal, sh(2026, 10, 10), sh(2026, 10, 11))) == [
        (sh(2026, 10, 10, 8, 0), sh(2026, 10, 10, 12, 0))
    ]
    like_tuesday = Calendar.weekly("Asia/Shanghai", hours, country="CN", reference_weekday=1)
    assert elapsed(like_tuesday, sh(2026, 10, 10), sh(2026, 10, 11)) == 9 * HOURS


def test_own_extra_working_day_turns_a_saturday_into_a_working_day():
    cal = Calendar.business_hours("Asia/Shanghai", extra_working_days={"2026-03-14"})
    assert elapsed(cal, sh(2026, 3, 14, 0, 0), sh(2026, 3, 15, 0, 0)) == 9 * HOURS
    assert due(cal, sh(2026, 3, 13, 17, 30), 60) == sh(2026, 3, 14, 9, 30)


def test_own_extra_working_day_overrides_a_public_holiday():
    cal = Calendar.business_hours(
        "Asia/Shanghai", country="CN", extra_working_days={date(2026, 10, 1)}
    )
    assert elapsed(cal, sh(2026, 10, 1), sh(2026, 10, 2)) == 9 * HOURS


def test_own_extra_holiday_overrides_a_make_up_working_day():
    cal = Calendar.business_hours(
        "Asia/Shanghai", country="CN", extra_holidays={date(2026, 10, 10)}
    )
    assert elapsed(cal, sh(2026, 10, 10), sh(2026, 10, 11)) == timedelta(0)


def test_holiday_subdivision_is_respected():
    # Epiphany (6 Jan 2026, a Tuesday) is a public holiday in Bavaria, not in Berlin.
    bavaria = Calendar.business_hours("Europe/Berlin", country="DE", subdiv="BY")
    berlin_state = Calendar.business_hours("Europe/Berlin", country="DE", subdiv="BE")
    day = (berlin(2026, 1, 6), berlin(2026, 1, 7))
    assert elapsed(bavaria, *day) == timedelta(0)
    assert elapsed(berlin_state, *day) == 9 * HOURS


# -- slots: lunch breaks and night shifts ------------------------------------------------------


def test_lunch_break_split_slots_do_not_count_the_break():
    cal = Calendar.business_hours("Asia/Shanghai", "09:00-12:00,13:00-18:00")
    assert elapsed(cal, sh(2026, 3, 16, 11, 30), sh(2026, 3, 16, 13, 30)) == minutes(60)
    assert due(cal, sh(2026, 3, 16, 11, 30), 60) == sh(2026, 3, 16, 13, 30)
    assert due(cal, sh(2026, 3, 16, 11, 30), 30) == sh(2026, 3, 16, 12, 0)
    assert window_minutes(cal, sh(2026, 3, 16), sh(2026, 3, 17)) == 8 * 60


def test_night_shift_crossing_midnight_belongs_to_the_day_it_starts_on():
    cal = Calendar.business_hours("Asia/Shanghai", "22:00-06:00", weekdays=range(5))
    # Friday's shift runs into Saturday morning; no shift starts on Saturday or Sunday.
    assert is_working(cal, sh(2026, 3, 14, 5, 59))
    assert not is_working(cal, sh(2026, 3, 14, 23, 0))
    assert not is_working(cal, sh(2026, 3, 16, 2, 0))  # Sunday night: no shift
    assert elapsed(cal, sh(2026, 3, 13, 0, 0), sh(2026, 3, 17, 0, 0)) == 16 * HOURS
    assert due(cal, sh(2026, 3, 14, 5, 0), 120) == sh(2026, 3, 16, 23, 0)


def test_holiday_removes_the_whole_night_shift_starting_that_day():
    cal = Calendar.business_hours(
        "Asia/Shanghai", "22:00-06:00", weekdays=range(5), extra_holidays={date(2026, 3, 13)}
    )
    assert not is_working(cal, sh(2026, 3, 14, 2, 0))
    assert is_working(cal, sh(2026, 3, 13, 2, 0))  # Thursday's shift still runs into Friday


# -- pauses ------------------------------------------------------------------------------------


def test_pause_spanning_a_night_is_not_counted():
    opened, resolved = sh(2026, 3, 17, 10, 0), sh(2026, 3, 18, 12, 0)
    assert elapsed(OFFICE, opened, resolved) == 11 * HOURS
    pending = [(sh(2026, 3, 17, 17, 0), sh(2026, 3, 18, 10, 0))]
    assert elapsed(OFFICE, opened, resolved, pending) == 9 * HOURS


def test_due_skips_a_pause_spanning_a_night():
    pending = [(sh(2026, 3, 17, 17, 40), sh(2026, 3, 18, 9, 10))]
    assert due(OFFICE, sh(2026, 3, 17, 17, 30), 60, pending) == sh(2026, 3, 18, 10, 0)


def test_overlapping_pauses_are_counted_once():
    opened, resolved = sh(2026, 3, 16, 9, 0), sh(2026, 3, 16, 18, 0)
    pauses = [
        (sh(2026, 3, 16, 10, 0), sh(2026, 3, 16, 12, 0)),
        (sh(2026, 3, 16, 11, 0), sh(2026, 3, 16, 13, 0)),
        (sh(2026, 3, 16, 11, 30), sh(2026, 3, 16, 11, 45)),
    ]
    assert elapsed(OFFICE, opened, resolved, pauses) == 6 * HOURS


def test_pauses_outside_the_ticket_do_not_count():
    pauses = [
        (sh(2026, 3, 16, 7, 0), sh(2026, 3, 16, 10, 0)),
        (sh(2026, 3, 16, 17, 0), sh(2026, 3, 17, 12, 0)),
    ]
    # 8 h ticket; only 09:30-10:00 and 17:00-17:30 of the pauses fall inside it.
    assert elapsed(OFFICE, sh(2026, 3, 16, 9, 30), sh(2026, 3, 16, 17, 30), pauses) == 7 * HOURS


def test_pause_ending_before_it_starts_is_an_error():
    with pytest.raises(ValueError, match="after it ends"):
        elapsed(
            OFFICE,
            sh(2026, 3, 16, 9),
            sh(2026, 3, 16, 18),
            [(sh(2026, 3, 16, 12), sh(2026, 3, 16, 11))],
        )


# -- errors ------------------------------------------------------------------------------------


def test_start_after_end_is_a_clear_error():
    with pytest.raises(ValueError, match="is after end"):
        elapsed(OFFICE, sh(2026, 3, 16, 10), sh(2026, 3, 16, 9))


def test_naive_datetimes_are_a_clear_error():
    with pytest.raises(ValueError, match="start must be time-zone aware"):
        elapsed(OFFICE, datetime(2026, 3, 16, 9), sh(2026, 3, 16, 10))
    with pytest.raises(ValueError, match="end must be time-zone aware"):
        elapsed(OFFICE, sh(2026, 3, 16, 9), datetime(2026, 3, 16, 10))
    with pytest.raises(ValueError, match="start must be time-zone aware"):
        due(OFFICE, datetime(2026, 3, 16, 9), 60)
    with pytest.raises(ValueError, match="pause #0 start must be time-zone aware"):
        elapsed(
            OFFICE,
            sh(2026, 3, 16, 9),
            sh(2026, 3, 16, 10),
            [(datetime(2026, 3, 16, 9), sh(2026, 3, 16, 10))],
        )


def test_no_working_time_at_all_gives_zero_elapsed_and_no_due():
    never = Calendar("Asia/Shanghai", ((),) * 7)
    assert elapsed(never, sh(2026, 1, 1), sh(2027, 1, 1)) == timedelta(0)
    with pytest.raises(ValueError, match="no working time"):
        due(never, sh(2026, 1, 1), 1)
    assert due(never, sh(2026, 1, 1), 0) == sh(2026, 1, 1)


def test_due_gives_up_with_a_clear_error_when_nothing_fits_within_the_scan_limit():
    mondays = {date(2026, 1, 5) + timedelta(weeks=w) for w in range(53 * 7)}
    cal = Calendar.business_hours("Asia/Shanghai", weekdays=[0], extra_holidays=mondays)
    with pytest.raises(ValueError, match="do not fit within 5 years"):
        due(cal, sh(2026, 1, 1), 60)


def test_negative_work_is_an_error():
    with pytest.raises(ValueError, match="must not be negative"):
        due(OFFICE, sh(2026, 3, 16, 9), -1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Calendar.business_hours("Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (lambda: Calendar.business_hours(""), "time zone must be an IANA name"),
        (
            lambda: Calendar.business_hours("UTC", "09:00-12:00,11:00-13:00"),
            "time slots overlap: Mon 09:00-12:00 and Mon 11:00-13:00",
        ),
        (
            lambda: Calendar.weekly("UTC", {6: "22:00-06:00", 0: "05:00-09:00"}),
            "time slots overlap: Sun 22:00-06:00",
        ),
        (lambda: Calendar.business_hours("UTC", "9-17"), "bad time slot '9-17'"),
        (lambda: Calendar.business_hours("UTC", "09:00-24:30"), "times run from 00:00 to 24:00"),
        (lambda: Calendar.business_hours("UTC", "09:00-09:00"), "empty time slot"),
        (lambda: Calendar.business_hours("UTC", weekdays=[7]), "weekdays must be 0"),
        (lambda: Calendar.business_hours("UTC", country="XX"), "unknown holiday country"),
        (
            lambda: Calendar.business_hours("UTC", country="DE", subdiv="ZZ"),
            "unknown holiday country/subdivision",
        ),
        (lambda: Calendar.business_hours("UTC", subdiv="BY"), "needs a country"),
        (lambda: Calendar.business_hours("UTC", reference_weekday=9), "reference_weekday"),
        (
            lambda: Calendar.business_hours("UTC", weekdays=[1], extra_working_days=["2026-03-14"]),
            "reference weekday Mon",
        ),
        (
            lambda: Calendar.business_hours(
                "UTC", extra_holidays=["2026-03-14"], extra_working_days=["2026-03-14"]
            ),
            "both extra holidays and extra working days: 2026-03-14",
        ),
        (lambda: Calendar.business_hours("UTC", extra_holidays=["14/03/2026"]), "expected a date"),
        (lambda: Calendar("UTC", ((),) * 6), "7 weekdays"),
        (lambda: Calendar("UTC", (((1500, 1600),),) + ((),) * 6), "bad slot"),
    ],
)
def test_invalid_calendars_are_rejected_with_a_clear_message(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_calendar_is_an_immutable_hashable_value():
    a = Calendar.business_hours("Asia/Shanghai", "09:00-12:00, 13:00-18:00", country="CN")
    b = Calendar.weekly(
        "Asia/Shanghai", {wd: ["09:00-12:00", "13:00-18:00"] for wd in range(5)}, country="CN"
    )
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.tz = "UTC"  # type: ignore[misc]


# -- daylight saving time ----------------------------------------------------------------------
# Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00.
# New York: 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00.


def test_dst_forward_berlin_business_hours_keep_the_working_day():
    cal = Calendar.business_hours("Europe/Berlin")
    assert elapsed(cal, berlin(2026, 3, 27, 17, 0), berlin(2026, 3, 30, 10, 0)) == 2 * HOURS
    assert due(cal, berlin(2026, 3, 27, 17, 0), 120) == berlin(2026, 3, 30, 10, 0)
    seven_days = Calendar.business_hours("Europe/Berlin", weekdays=range(7))
    assert elapsed(seven_days, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 9 * HOURS


def test_dst_back_berlin_business_hours_keep_the_working_day():
    cal = Calendar.business_hours("Europe/Berlin", weekdays=range(7))
    assert elapsed(cal, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 9 * HOURS
    assert due(cal, berlin(2026, 10, 24, 17, 0), 120) == berlin(2026, 10, 25, 10, 0)


def test_dst_forward_berlin_24x7_day_has_23_hours():
    cal = Calendar.always("Europe/Berlin")
    assert elapsed(cal, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 23 * HOURS
    assert due(cal, berlin(2026, 3, 28, 12, 0), 24 * 60) == berlin(2026, 3, 29, 13, 0)


def test_dst_back_berlin_24x7_day_has_25_hours():
    cal = Calendar.always("Europe/Berlin")
    assert elapsed(cal, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 25 * HOURS
    assert due(cal, berlin(2026, 10, 24, 12, 0), 24 * 60) == berlin(2026, 10, 25, 11, 0)


def test_dst_forward_new_york_business_hours_and_24x7():
    office = Calendar.business_hours("America/New_York", "09:00-17:00", weekdays=range(7))
    assert elapsed(office, ny(2026, 3, 8), ny(2026, 3, 9)) == 8 * HOURS
    assert due(office, ny(2026, 3, 7, 16, 0), 120) == ny(2026, 3, 8, 10, 0)
    always = Calendar.always("America/New_York")
    assert elapsed(always, ny(2026, 3, 8), ny(2026, 3, 9)) == 23 * HOURS


def test_dst_back_new_york_business_hours_and_24x7():
    office = Calendar.business_hours("America/New_York", "09:00-17:00", weekdays=range(7))
    assert elapsed(office, ny(2026, 11, 1), ny(2026, 11, 2)) == 8 * HOURS
    always = Calendar.always("America/New_York")
    assert elapsed(always, ny(2026, 11, 1), ny(2026, 11, 2)) == 25 * HOURS
    assert due(always, ny(2026, 11, 1), 25 * 60) == ny(2026, 11, 2)


def test_24x7_equals_real_elapsed_time_over_a_year_with_both_dst_changes():
    cal = Calendar.always("America/New_York")
    start, end = ny(2026, 1, 1, 3, 17), ny(2027, 1, 1, 5, 1)
    assert elapsed(cal, start, end) == end.astimezone(UTC) - start.astimezone(UTC)


def test_dst_changes_the_length_of_a_night_shift_containing_it():
    cal = Calendar.business_hours("Europe/Berlin", "22:00-06:00", weekdays=range(7))
    assert elapsed(cal, berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12)) == 7 * HOURS
    assert elapsed(cal, berlin(2026, 10, 24, 12), berlin(2026, 10, 25, 12)) == 9 * HOURS


def test_slot_starting_in_the_skipped_hour_starts_at_the_first_valid_instant():
    cal = Calendar.business_hours("Europe/Berlin", "02:30-05:00", weekdays=range(7))
    got = list(working_intervals(cal, berlin(2026, 3, 29), berlin(2026, 3, 30)))
    assert got == [(berlin(2026, 3, 29, 3, 0), berlin(2026, 3, 29, 5, 0))]


def test_slot_starting_in_the_repeated_hour_starts_at_its_first_occurrence():
    cal = Calendar.business_hours("Europe/Berlin", "02:30-05:00", weekdays=range(7))
    ((start, end),) = working_intervals(cal, berlin(2026, 10, 25), berlin(2026, 10, 26))
    assert start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first 02:30
    assert end - start == timedelta(hours=3, minutes=30)


def test_half_hour_dst_of_lord_howe_island():
    cal = Calendar.business_hours("Australia/Lord_Howe", "01:00-03:00", weekdays=range(7))
    lhi = ZoneInfo("Australia/Lord_Howe")
    back, forward = datetime(2026, 4, 5, tzinfo=lhi), datetime(2026, 10, 4, tzinfo=lhi)
    assert elapsed(cal, back, back + timedelta(days=1)) == timedelta(hours=2, minutes=30)
    assert elapsed(cal, forward, forward + timedelta(days=1)) == timedelta(hours=1, minutes=30)
