"""The set-based SQL form gives exactly the Python form's working time (real PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from metrics.business_time import Calendar, elapsed
from metrics.business_time_sql import (
    BUCKET,
    MAX_SPAN,
    WorkingTime,
    elapsed_into,
    elapsed_many,
    working_time,
)

US = timedelta(microseconds=1)
ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
]

CALENDARS = {
    "berlin-office-lunch-bavarian-holidays": Calendar.business_hours(
        "Europe/Berlin",
        "09:00-12:00,13:00-18:00",
        country="DE",
        subdiv="BY",
        extra_holidays={date(2026, 12, 24)},
        extra_working_days={date(2026, 3, 28)},
    ),
    "shanghai-office-cn-make-up-days": Calendar.business_hours(
        "Asia/Shanghai", "09:00-18:00", country="CN"
    ),
    "new-york-24x7": Calendar.always("America/New_York"),
    "lord-howe-night-shift": Calendar.business_hours(
        "Australia/Lord_Howe", "22:00-06:00", weekdays=range(6)
    ),
    "santiago-midnight-dst-odd-minutes": Calendar.weekly(
        "America/Santiago",
        {0: "00:00-07:17,08:05-24:00", 2: "23:30-01:10", 4: "12:01-12:02", 6: "00:00-24:00"},
        country="CL",
    ),
    "kolkata-half-hour-offset": Calendar.business_hours(
        "Asia/Kolkata", "09:45-17:15", country="IN"
    ),
    # Two working pieces inside one hour: the arrays need a second piece column.
    "tokyo-split-hours": Calendar.business_hours(
        "Asia/Tokyo", "08:00-08:20,08:40-08:50,09:00-12:00", country="JP"
    ),
}


def random_tickets(seed: int, count: int) -> list[tuple[int, datetime, datetime, list]]:
    """Tickets over 2026 (and a bit beyond) with 0-4 pauses that may overlap each other
    and stick out of the ticket, in random zones, with microseconds."""
    rnd = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=UTC)

    def shown(t: datetime) -> datetime:
        return t.astimezone(ZoneInfo(rnd.choice(ZONES)))

    rows = []
    for ticket_id in range(1, count + 1):
        start = year + timedelta(
            seconds=rnd.randrange(366 * 86_400), microseconds=rnd.randrange(1_000_000)
        )
        length = rnd.choice(
            [0, rnd.randrange(3_600), rnd.randrange(86_400 * 3), rnd.randrange(86_400 * 40)]
        )
        end = start + timedelta(seconds=length, microseconds=rnd.randrange(1_000_000))
        pauses = []
        for _ in range(rnd.choice([0, 0, 0, 1, 1, 2, 4])):
            p_start = start + timedelta(seconds=rnd.randrange(-86_400, length + 86_400 + 1))
            pauses.append(
                (shown(p_start), shown(p_start + timedelta(seconds=rnd.randrange(0, 3 * 86_400))))
            )
        rows.append((ticket_id, shown(start), shown(end), pauses))
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_sql_form_equals_python_form_on_random_tickets(name):
    cal = CALENDARS[name]
    rows = random_tickets(seed=sorted(CALENDARS).index(name), count=1500)
    got = elapsed_many(cal, rows)
    want = {ticket_id: elapsed(cal, start, end, pauses) for ticket_id, start, end, pauses in rows}
    assert len(got) == len(rows)
    mismatches = {i: (got[i], want[i]) for i in want if got[i] != want[i]}
    assert mismatches == {}


@pytest.mark.django_db
def test_elapsed_into_works_on_a_query_with_parameters():
    cal = CALENDARS["berlin-office-lunch-bavarian-holidays"]
    rows = random_tickets(seed=99, count=400)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE t_tickets AS SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], "
            "%s::timestamptz[], "
            "%s::text[]) AS t(id, opened_at, answered_at, priority)",
            [
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                ["P1" if r[0] % 2 else "P3" for r in rows],
            ],
        )
        pauses = [(r[0], ps, pe) for r in rows for ps, pe in r[3]]
        cur.execute(
            "CREATE TEMP TABLE t_pauses AS SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], "
            "%s::timestamptz[]) "
            "AS p(ticket_id, paused_at, resumed_at)",
            [[p[0] for p in pauses], [p[1] for p in pauses], [p[2] for p in pauses]],
        )
        table = elapsed_into(
            cal,
            "SELECT id, opened_at AS start_at, answered_at AS end_at FROM t_tickets "
            "WHERE priority = %(prio)s",
            "SELECT ticket_id AS id, paused_at AS start_at, resumed_at AS end_at FROM t_pauses",
            {"prio": "P3"},
            into="t_elapsed",
        )
        cur.execute(f"SELECT id, elapsed FROM {table}")
        got = dict(cur.fetchall())
    want = {i: elapsed(cal, s, e, p) for i, s, e, p in rows if i % 2 == 0}
    assert got == want


@pytest.mark.django_db
def test_elapsed_into_without_pauses_and_with_no_tickets():
    cal = CALENDARS["shanghai-office-cn-make-up-days"]
    rows = random_tickets(seed=5, count=300)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE t_plain AS SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], "
            "%s::timestamptz[]) "
            "AS t(id, start_at, end_at)",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )
        elapsed_into(cal, "SELECT * FROM t_plain", into="t_out")
        cur.execute("SELECT id, elapsed FROM t_out")
        assert dict(cur.fetchall()) == {i: elapsed(cal, s, e) for i, s, e, _ in rows}
        elapsed_into(cal, "SELECT * FROM t_plain WHERE false", into="t_out")
        cur.execute("SELECT count(*) FROM t_out")
        assert cur.fetchone()[0] == 0
    assert elapsed_many(cal, []) == {}
    never = Calendar.weekly("UTC", {})  # no working time at all: no piece columns
    assert set(elapsed_many(never, rows).values()) == {timedelta(0)}


@pytest.mark.django_db
def test_sql_form_refuses_what_the_python_form_refuses():
    cal = CALENDARS["new-york-24x7"]
    t = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="is after end"):
        elapsed_many(cal, [(1, t, t - US, [])])
    with pytest.raises(ValueError, match="time-zone aware"):
        elapsed_many(cal, [(1, t.replace(tzinfo=None), t, [])])
    with pytest.raises(ValueError, match="after it ends"):
        elapsed_many(cal, [(1, t, t + timedelta(hours=1), [(t + timedelta(minutes=9), t)])])
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE t_bad AS "
            "SELECT 7 AS id, %s::timestamptz AS start_at, %s::timestamptz AS end_at "
            "UNION ALL SELECT 8, %s, NULL",
            [t, t - timedelta(hours=1), t],
        )
        with pytest.raises(
            ValueError, match=r"2 tickets have no start or end, or start after end \(e.g. id 7"
        ):
            elapsed_into(cal, "SELECT * FROM t_bad")
        with pytest.raises(ValueError, match="1 pauses have no start or end"):
            elapsed_into(
                cal,
                "SELECT * FROM t_bad WHERE id = 0",
                "SELECT 7 AS id, now() AS start_at, NULL::timestamptz AS end_at",
            )
    with pytest.raises(ValueError, match="plain lower-case identifier"):
        elapsed_into(
            cal, "SELECT 1 AS id, now() AS start_at, now() AS end_at", into="x; DROP TABLE y"
        )


def w_in_python(wt: WorkingTime, x: datetime) -> int:
    """W as the SQL expression computes it, from the arrays, in microseconds."""
    b, o = divmod((x - wt.origin) // US, BUCKET // US)
    return wt.before[b] + sum(min(max(o - col[b][0], 0), col[b][1]) for col in wt.pieces)


def test_arrays_reproduce_the_working_time_from_the_origin():
    rnd = random.Random(3)
    origin, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    for name, cal in CALENDARS.items():
        wt = working_time(cal, origin, end)
        assert wt.origin == origin and wt.end == end + BUCKET, name
        assert len(wt.before) == (wt.end - wt.origin) // BUCKET, name
        for _ in range(300):
            x = origin + timedelta(microseconds=rnd.randrange((end - origin) // US))
            assert w_in_python(wt, x) == elapsed(cal, origin, x) // US, (name, x)
    assert len(working_time(CALENDARS["tokyo-split-hours"], origin, end).pieces) == 2
    assert len(working_time(CALENDARS["new-york-24x7"], origin, end).pieces) == 1
    assert working_time(Calendar.weekly("UTC", {}), origin, end).pieces == ()


def test_working_time_refuses_bad_spans():
    cal = CALENDARS["new-york-24x7"]
    t = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="is after end"):
        working_time(cal, t, t - US)
    with pytest.raises(ValueError, match="time-zone aware"):
        working_time(cal, t.replace(tzinfo=None), t)
    with pytest.raises(ValueError, match="over 25 years"):
        working_time(cal, t, t + MAX_SPAN + BUCKET)


@pytest.mark.django_db
def test_microseconds_from_the_origin_are_exact_at_every_bucket_edge_of_the_longest_span():
    """The float epoch rounds back to the exact microsecond on both sides of every hour
    edge up to the longest span allowed, and at an odd microsecond inside every hour."""
    origin = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE {WorkingTime.us("x")} <> o)
            FROM (
                SELECT o, %(bt_origin)s + o * interval '1 microsecond' AS x
                FROM generate_series(0, %(hours)s) AS k,
                     unnest(ARRAY[k * %(hour)s - 1, k * %(hour)s, k * %(hour)s + 1,
                                  k * %(hour)s + (k * 7919 + 123457) %% %(hour)s]) AS o
                WHERE o >= 0
            ) AS edges
            """,
            {"bt_origin": origin, "hours": MAX_SPAN // BUCKET, "hour": BUCKET // US},
        )
        checked, wrong = cur.fetchone()
    assert checked > 4 * 200_000 and wrong == 0
