"""Property: the set-based SQL clocks (metrics.services.clocks_sql) equal the Python engine
(clocks.clocks_for, the reference) field by field, over random calendars (DST zones,
public and own holidays, lunch breaks, night shifts, 24x7) and random tickets (pauses,
open pauses, unanswered and unresolved tickets, workarounds), many near a DST change."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements import services
from metrics.models import Ticket, TicketClock
from metrics.services.clocks import clocks_for, compute_clocks, compute_clocks_python
from metrics.services.ingest import ingest_records
from metrics.services.terms import load_terms

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 10, 30, tzinfo=dt.UTC)
# Europe/Berlin: DST 2026-03-29 and 2026-10-25 (01:00 UTC); New York: 03-08, 11-01.
ZONES = {
    "Europe/Berlin": [
        dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC),
    ],
    "America/New_York": [
        dt.datetime(2026, 3, 8, 7, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC),
    ],
    "Asia/Shanghai": [
        dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
    ],
}
HOURS = {
    "office": [("09:00", "18:00")],
    "lunch": [("09:00", "12:00"), ("13:00", "17:30")],
    "night": [("22:00", "06:00")],  # crosses midnight, and the DST change at night
    "early": [("01:30", "03:15"), ("08:00", "16:00")],  # holds a DST gap / repeat
}
FIELDS = (
    "ticket_id",
    "metric_id",
    "agreement_id",
    "kind",
    "calendar_hash",
    "started_at",
    "due_target_at",
    "due_minimum_at",
    "stopped_at",
    "elapsed",
    "paused",
    "state",
    "counts_at",
    "period_start",
)


def _time(text: str) -> dt.time:
    h, m = map(int, text.split(":"))
    return dt.time(h, m)


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(sorted(ZONES)))
    always = draw(st.integers(0, 5)) == 0
    hours = HOURS[draw(st.sampled_from(sorted(HOURS)))]
    weekdays = draw(st.sampled_from([range(5), range(6), range(7), (0, 2, 4)]))
    country = draw(st.sampled_from(["", "", "DE", "US", "CN"]))
    transition = draw(st.sampled_from(ZONES[zone]))
    own = draw(
        st.lists(
            st.integers(-6, 6).map(lambda d: (transition + dt.timedelta(days=d)).date()),
            max_size=3,
            unique=True,
        )
    )
    return zone, always, hours, list(weekdays), country, own


@st.composite
def tickets(draw, zone: str):
    out = []
    for i in range(draw(st.integers(1, 12))):
        near = draw(st.sampled_from(ZONES[zone]))
        opened = near + dt.timedelta(
            minutes=draw(st.integers(-6 * 1440, 6 * 1440)),
            microseconds=draw(st.sampled_from([0, 1, 999_999])),
        )
        record = {
            "agreement": "SLA-M1",
            "external_id": f"H-{i}",
            "priority": draw(st.sampled_from(["P2", "P3"])),
            "opened_at": opened.isoformat(),
        }
        if draw(st.booleans()):
            record["first_response_at"] = (
                opened + dt.timedelta(minutes=draw(st.integers(0, 3000)))
            ).isoformat()
        resolved = None
        if draw(st.booleans()):
            resolved = opened + dt.timedelta(
                minutes=draw(st.integers(0, 9000)), seconds=draw(st.integers(0, 59))
            )
            record["resolved_at"] = resolved.isoformat()
            if draw(st.booleans()):
                record["workaround_at"] = (
                    opened + dt.timedelta(minutes=draw(st.integers(0, 9000)))
                ).isoformat()
        pauses = []
        for _ in range(draw(st.integers(0, 3))):
            start = opened + dt.timedelta(minutes=draw(st.integers(-120, 4000)))
            pauses.append(
                {
                    "start": start.isoformat(),
                    "end": (start + dt.timedelta(minutes=draw(st.integers(1, 2000)))).isoformat(),
                }
            )
        if resolved is None and draw(st.integers(0, 3)) == 0:
            start = opened + dt.timedelta(minutes=draw(st.integers(0, 3000)))
            if start <= NOW:
                pauses.append({"start": start.isoformat(), "end": None})
        if pauses:
            record["pauses"] = pauses
        out.append(record)
    return out


def python_clocks(tenant_id: int) -> list[tuple]:
    tickets = list(Ticket.objects.all())
    terms = load_terms({t.family for t in tickets})
    values = itertools.chain.from_iterable(clocks_for(t, terms[t.family], NOW) for t in tickets)
    return sorted(tuple(getattr(v, f) for f in FIELDS) for v in values)


def stored() -> list[tuple]:
    return sorted(TicketClock.objects.values_list(*FIELDS))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_sql_clocks_equal_the_python_engine(data, agreement, scope_a, tenant_a):
    zone, always, hours, weekdays, country, own = data.draw(calendars())
    calendar = agreement.default_calendar
    calendar.time_zone, calendar.is_24x7, calendar.country = zone, always, country
    slots = [
        {"weekday": d, "start_time": _time(s), "end_time": _time(e)}
        for d in weekdays
        for s, e in hours
    ]
    services.save_calendar(
        calendar, slots=slots, holidays=[{"date": d, "name": "Off"} for d in own]
    )
    Ticket.objects.all().delete()
    records = data.draw(tickets(zone))
    with time_machine.travel(NOW, tick=False):
        result = ingest_records("tickets", records, partial=True)
    assert result.created + result.updated + result.unchanged == len(records) - len(result.errors)
    ids = list(Ticket.objects.values_list("pk", flat=True))
    compute_clocks(tenant_a.pk, ids, NOW)
    expected = python_clocks(tenant_a.pk)
    assert stored() == expected
    # The Python writer stores the same rows.
    compute_clocks_python(tenant_a.pk, ids, NOW)
    assert stored() == expected
