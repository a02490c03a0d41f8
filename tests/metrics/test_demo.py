"""The demo data: breaches, a credit owed, one open improvement action, live tickets near
their due time; idempotent."""

import datetime as dt

import pytest
import time_machine

from agreements import demo as agreements_demo
from metrics import demo
from metrics.choices import RUNNING_STATES, Status
from metrics.models import ComplianceResult, CreditResult, ImprovementAction, Ticket, TicketClock
from slaweb.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)  # Monday 14:00 in Shanghai


@time_machine.travel(NOW, tick=False)
def test_demo_data_tells_the_story(tenant_a):
    with tenant_context(tenant_a):
        agreements_demo.seed(tenant_a)
        demo.seed(tenant_a)
        counts = (Ticket.objects.count(), ComplianceResult.objects.count())
        response = ComplianceResult.objects.filter(metric_name__contains="Server fault response")
        statuses = dict(response.values_list("period_start__month", "status"))
        assert {statuses[3], statuses[4], statuses[5]} == {Status.BREACHED}
        availability = ComplianceResult.objects.get(
            metric_name__contains="Availability", period_start=dt.date(2026, 8, 1)
        )
        assert availability.status == Status.BREACHED
        assert [x["external_id"] for x in availability.exclusions] == []
        assert ComplianceResult.objects.filter(
            metric_name__contains="First-contact", period_start=dt.date(2026, 9, 1)
        ).get().status in (Status.BREACHED, Status.WARNING)
        owed = CreditResult.objects.filter(amount__gt=0)
        assert owed.filter(period_start=dt.date(2026, 8, 1)).exists()
        actions = ImprovementAction.objects.filter(status="open")
        assert actions.count() == 1 and actions.get().streak_start == dt.date(2026, 3, 1)
        live = TicketClock.objects.filter(ticket__external_id__startswith="LIVE-")
        assert live.count() == 4 and all(c.state in RUNNING_STATES for c in live)
        assert max(c.due_target_at for c in live) > NOW  # one still before its target
        assert min(c.due_minimum_at for c in live) < NOW + dt.timedelta(hours=1)
        demo.seed(tenant_a)  # again: nothing new
        assert (Ticket.objects.count(), ComplianceResult.objects.count()) == counts
        assert ImprovementAction.objects.count() == 1
