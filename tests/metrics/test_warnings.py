"""Warnings before a breach: at 75 % of the allotted working time and at the breach, once per
clock and threshold, through the outbox to the provider's responsible person."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from metrics import warnings
from metrics.models import ClockWarning, TicketClock
from metrics.services.ingest import ingest_records
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from tests.metrics.conftest import cn, make_active

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def running(tenant_a):
    make_active(
        tenant_a, provider_contact_email="ops@alpha.example", provider_contact_name="Wang Fang"
    )
    with tenant_context(tenant_a):
        yield _ingest()


def _ingest():
    # Response target 60 working minutes from Mon 11:30; lunch 12-13 -> due 13:30.
    ingest_records(
        "tickets",
        [
            {
                "agreement": "SLA-M1",
                "external_id": "T-1",
                "priority": "P2",
                "opened_at": "2026-03-02T11:30:00+08:00",
            }
        ],
    )
    return TicketClock.objects.get(ticket__external_id="T-1", metric__name="Response")


def run_at(when):
    with time_machine.travel(when, tick=False):
        return warnings.warn_running_clocks()


def test_share_counts_working_time_only(running):
    assert running.due_target_at == cn(2026, 3, 2, 13, 30)
    # 12:00 = 30 of 60 working minutes; 12:59 still 30 (lunch); 13:15 = 45 -> 75 %.
    assert warnings.Shares(cn(2026, 3, 2, 12, 59)).percent(running) == 50
    assert warnings.Shares(cn(2026, 3, 2, 13, 15)).percent(running) == 75


def test_warning_then_breach_once_each(running):
    assert run_at(cn(2026, 3, 2, 12, 59)) == 0
    assert run_at(cn(2026, 3, 2, 13, 15)) == 1
    assert run_at(cn(2026, 3, 2, 13, 20)) == 0  # claimed already
    mail = OutboxMessage.objects.get(key=f"clock-warning:{running.pk}:75")
    assert mail.to_address == "ops@alpha.example" and "T-1" in mail.subject
    assert run_at(cn(2026, 3, 2, 13, 31)) == 1
    assert run_at(cn(2026, 3, 2, 14, 0)) == 0
    assert set(ClockWarning.objects.values_list("threshold", flat=True)) == {75, 100}
    assert OutboxMessage.objects.filter(key__startswith="clock-warning:").count() == 2


def test_stopped_clock_is_not_warned(running):
    ingest_records(
        "tickets",
        [
            {
                "agreement": "SLA-M1",
                "external_id": "T-1",
                "priority": "P2",
                "opened_at": "2026-03-02T11:30:00+08:00",
                "first_response_at": "2026-03-02T11:40:00+08:00",
            }
        ],
    )
    assert run_at(cn(2026, 3, 2, 13, 31)) == 0


def test_candidates_use_the_partial_index(running, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert [c.pk for c in warnings.candidates(cn(2026, 3, 2, 12))] != []
    far = cn(2026, 3, 2, 13, 30) - warnings.WINDOW - dt.timedelta(minutes=1)
    assert running.pk not in [c.pk for c in warnings.candidates(far)]
