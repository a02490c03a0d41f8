"""The demo tenant's reports: a year of published months, each colour in the month now
due, a corrected month republished, the due month mailed to its recipients (one
acknowledged); a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import time_machine
from django.core.management import call_command

from reports.demo import DESKTOP, NETWORK
from reports.models import Report, ReportDelivery
from reports.services.publishing import diff
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant

# 2026-11-20 in Shanghai: October's reports are due (the 5th has passed).
TODAY = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
OCTOBER = dt.date(2026, 10, 1)


def counts() -> tuple[int, int, int]:
    return (
        Report.objects.count(),
        ReportDelivery.objects.count(),
        OutboxMessage.objects.filter(kind="report-published").count(),
    )


def test_seed_demo_publishes_a_year_of_reports_in_every_colour_and_is_idempotent(db):
    with time_machine.travel(TODAY, tick=False):
        call_command("seed_demo", stdout=StringIO())
        with tenant_context(Tenant.objects.get(slug="demo")):
            first = counts()
        call_command("seed_demo", stdout=StringIO())
    with tenant_context(Tenant.objects.get(slug="demo")):
        assert counts() == first
        october = dict(
            Report.objects.filter(period_start=OCTOBER).values_list(
                "agreement__reference", "health"
            )
        )
        assert october[NETWORK] == "amber"
        assert october[DESKTOP] == "red"
        assert "green" in october.values()
        network = Report.objects.filter(agreement__reference=NETWORK, revision=1)
        assert network.count() == 12  # November 2025 to October 2026
        # September was corrected by a late ticket: revision 2 beside revision 1.
        second = Report.objects.get(agreement__reference=NETWORK, revision=2)
        first = Report.objects.get(
            family=second.family, period_start=second.period_start, revision=1
        )
        assert second.period_start == dt.date(2026, 9, 1) and second.reason
        assert any(change["path"].endswith(".count_all") for change in diff(first, second))
        assert not Report.objects.filter(period_start__gte=dt.date(2026, 11, 1)).exists()
        desktop = Report.objects.get(agreement__reference=DESKTOP, period_start=OCTOBER)
        assert desktop.snapshot["metrics"][1]["breach_streak"] == 3
        sent = ReportDelivery.objects.filter(report__period_start=OCTOBER)
        assert set(sent.values_list("email", flat=True)) >= {
            "anna@northwind.example",
            "li.lei@huaxin.example",
            "manager@demo.example",
        }
        assert sent.filter(acknowledged_at__isnull=False).count() == 1
        assert OutboxMessage.objects.filter(kind="report-published").count() == sent.count()
