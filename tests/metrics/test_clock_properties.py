"""Properties: stored clocks equal the Python engine for random tickets; a recompute after a
calendar change equals computing every clock from scratch."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from agreements.models import CalendarHoliday
from metrics import business_time as bt
from metrics.choices import ClockState
from metrics.models import Ticket, TicketClock
from metrics.services.clocks import compute_clocks, recompute_clocks
from metrics.services.ingest import ingest_records

pytestmark = pytest.mark.django_db
FIELDS = (
    "ticket_id",
    "metric_id",
    "due_target_at",
    "due_minimum_at",
    "elapsed",
    "paused",
    "state",
    "period_start",
)


def random_tickets(rng: random.Random, n: int) -> list[dict]:
    out = []
    base = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)
    for i in range(n):
        opened = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 45))
        record = {
            "agreement": "SLA-M1",
            "external_id": f"R-{i}",
            "priority": rng.choice(["P1", "P2", "P3"]),
            "opened_at": opened.isoformat(),
        }
        if rng.random() < 0.8:
            record["first_response_at"] = (
                opened + dt.timedelta(minutes=rng.randrange(0, 4000))
            ).isoformat()
        if rng.random() < 0.6:
            resolved = opened + dt.timedelta(
                minutes=rng.randrange(0, 9000), seconds=rng.randrange(60)
            )
            record["resolved_at"] = resolved.isoformat()
        if rng.random() < 0.3:
            pauses = []
            for _ in range(rng.randrange(1, 3)):
                start = opened + dt.timedelta(minutes=rng.randrange(-60, 3000))
                pauses.append(
                    {
                        "start": start.isoformat(),
                        "end": (start + dt.timedelta(minutes=rng.randrange(1, 900))).isoformat(),
                    }
                )
            record["pauses"] = pauses
        out.append(record)
    return out


_CALENDARS: dict = {}


def engine_clock(ticket: Ticket, clock: TicketClock):
    key = (clock.agreement_id, ticket.tier_code)
    if key not in _CALENDARS:
        tier = clock.agreement.tiers.get(code=ticket.tier_code)
        _CALENDARS[key] = tier.effective_calendar.to_engine_calendar()
    cal = _CALENDARS[key]
    pauses = [
        (dt.datetime.fromisoformat(s), dt.datetime.fromisoformat(e)) for s, e in ticket.pauses
    ]
    metric = clock.metric
    stop = ticket.first_response_at if metric.kind == "response_time" else ticket.resolved_at
    target, minimum = int(metric.target), int(metric.minimum_acceptable)
    worked = bt.elapsed(cal, ticket.opened_at, stop, pauses) if stop else None
    return (
        bt.due(cal, ticket.opened_at, target, pauses),
        bt.due(cal, ticket.opened_at, minimum, pauses),
        worked,
        None if worked is None else bt.elapsed(cal, ticket.opened_at, stop) - worked,
    )


def tuple_ids() -> dict[int, str]:
    """Each clock row's physical place: an UPDATE writes a new row version elsewhere."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id, ctid::text FROM metrics_ticketclock")
        return dict(cur.fetchall())


def snapshot():
    return sorted(TicketClock.objects.values_list(*FIELDS))


def test_stored_clocks_equal_the_python_engine(agreement, scope_a):
    _CALENDARS.clear()
    rng = random.Random(20261130)
    result = ingest_records("tickets", random_tickets(rng, 300))
    assert result.created == 300 and not result.errors
    clocks = TicketClock.objects.select_related("ticket", "metric", "agreement")
    assert clocks.count() > 300  # P2/P3 tickets have a response and a resolution clock
    states = set()
    for clock in clocks:
        due_target, due_minimum, worked, paused = engine_clock(clock.ticket, clock)
        assert (clock.due_target_at, clock.due_minimum_at) == (due_target, due_minimum)
        assert (clock.elapsed, clock.paused) == (worked, paused)
        if worked is not None:
            target = dt.timedelta(minutes=int(clock.metric.target))
            minimum = dt.timedelta(minutes=int(clock.metric.minimum_acceptable))
            expected = (
                ClockState.WITHIN_TARGET
                if worked <= target
                else ClockState.WITHIN_MINIMUM
                if worked <= minimum
                else ClockState.MISSED
            )
            assert clock.state == expected
        states.add(clock.state)
    assert states >= {
        ClockState.WITHIN_TARGET,
        ClockState.WITHIN_MINIMUM,
        ClockState.MISSED,
        ClockState.RUNNING,
    }


def test_recompute_after_a_calendar_change_equals_from_scratch(agreement, scope_a, tenant_a):
    rng = random.Random(7)
    ingest_records("tickets", random_tickets(rng, 200))
    before = snapshot()
    written = tuple_ids()
    old_hash = TicketClock.objects.values_list("calendar_hash", flat=True).first()
    calendar = agreement.default_calendar
    for day in (3, 4, 5, 10):  # company days off in March
        CalendarHoliday.objects.create(calendar=calendar, date=dt.date(2026, 3, day), name="Off")
    done = recompute_clocks(tenant_a.pk, calendar_id=calendar.pk)
    assert done == 200
    after = snapshot()
    assert after != before  # the days off moved due times
    # Only the clocks whose values moved were rewritten (a new row version: a new ctid); they
    # name the new calendar version.
    moved = {row[:2] for row in set(after) - set(before)}
    now_at = tuple_ids()
    rows = TicketClock.objects.values_list("ticket_id", "metric_id", "pk", "calendar_hash")
    for ticket_id, metric_id, pk, calendar_hash in rows:
        rewritten = now_at[pk] != written[pk]
        assert rewritten == ((ticket_id, metric_id) in moved)
        assert (calendar_hash != old_hash) == rewritten
    assert 0 < len(moved) < len(written)
    TicketClock.objects.all().delete()
    compute_clocks(tenant_a.pk, list(Ticket.objects.values_list("pk", flat=True)))
    assert snapshot() == after
