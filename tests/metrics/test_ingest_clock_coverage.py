"""A re-sent ticket that no metric covers any more loses its clocks and their warnings, in a
batch that also creates tickets (clocks_sql skips that clean-up when no ticket had clocks)."""

from __future__ import annotations

import pytest

from metrics.models import ClockWarning, TicketClock
from metrics.services.ingest import ingest_records

from .test_ingest import ticket

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_ticket_no_metric_covers_any_more_loses_its_clocks_and_warnings(agreement, scope_a):
    first = ingest_records("tickets", [ticket(1), ticket(2)])
    assert first.created == 2
    assert TicketClock.objects.count() == 4  # response and resolution, each
    clock = TicketClock.objects.get(ticket__external_id="T-1", metric__name="Response")
    ClockWarning.objects.create(clock=clock, threshold=75)

    # T-1 moves to a tier no metric covers (P2 and P3 only), T-3 is new, T-2 unchanged.
    second = ingest_records("tickets", [ticket(1, priority="P1"), ticket(2), ticket(3)])
    assert (second.created, second.updated, second.unchanged) == (1, 1, 1)
    assert not TicketClock.objects.filter(ticket__external_id="T-1").exists()
    assert not ClockWarning.objects.exists()
    assert TicketClock.objects.filter(ticket__external_id="T-2").count() == 2
    assert TicketClock.objects.filter(ticket__external_id="T-3").count() == 2
