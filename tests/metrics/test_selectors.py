"""Selectors: the error budget of a running period and the latest period's health."""

import datetime as dt
from decimal import Decimal

import pytest

from metrics import selectors
from metrics.choices import Status
from metrics.models import ComplianceResult
from metrics.services.compliance import recompute_stale
from metrics.services.ingest import ingest_records

from .conftest import cn

pytestmark = pytest.mark.django_db


def test_error_budget_of_a_running_period(agreement, scope_a, tenant_a):
    # 20 answered in March, 19 within target (goal 95 %): met with 19/20 = 95 %.
    records = [
        {
            "agreement": "SLA-M1",
            "external_id": f"T-{n}",
            "priority": "P2",
            "opened_at": cn(2026, 3, 3, 9).isoformat(),
            "first_response_at": cn(2026, 3, 3, 9 if n else 10, 30).isoformat(),
        }
        for n in range(20)
    ]
    # Two still running, due later in March.
    records += [
        {
            "agreement": "SLA-M1",
            "external_id": f"R-{n}",
            "priority": "P2",
            "opened_at": cn(2026, 3, 20, 9).isoformat(),
        }
        for n in range(2)
    ]
    ingest_records("tickets", records)
    now = cn(2026, 3, 20, 9, 30)
    recompute_stale(tenant_a.pk, now=now)
    result = ComplianceResult.objects.select_related("metric").get(metric_name="Response")
    assert result.is_open and result.status == Status.MET
    budget = selectors.error_budget(result, now=now)
    # 19 x 100 >= 95 x (20 + k) holds for k = 0 only: no more misses allowed.
    assert budget.misses_allowed == 0 and budget.running == 2
    assert budget.projected_status == Status.MET
    assert result.metric.attainment_goal_percent == Decimal("95")


def test_latest_period_health(agreement, scope_a, tenant_a):
    ingest_records(
        "tickets",
        [
            {
                "agreement": "SLA-M1",
                "external_id": "T-1",
                "priority": "P2",
                "opened_at": cn(2026, 4, 1, 9).isoformat(),
                "first_response_at": cn(2026, 4, 1, 12).isoformat(),
                "resolved_at": cn(2026, 4, 1, 12).isoformat(),
            },
            {
                "agreement": "SLA-M1",
                "external_id": "T-0",
                "priority": "P2",
                "opened_at": cn(2026, 3, 2, 9).isoformat(),
                "first_response_at": cn(2026, 3, 2, 9, 5).isoformat(),
            },
        ],
    )
    recompute_stale(tenant_a.pk, now=cn(2026, 5, 2, 0))
    health = selectors.latest_period_health([agreement.family])[agreement.family]
    assert health["period"] == dt.date(2026, 4, 1)
    # April: response 180 min -> breached; resolution 180 <= 240 -> met; availability met.
    assert (health["met"], health["breached"], health["warning"]) == (2, 1, 0)


def test_latest_period_health_skips_months_without_data(agreement, scope_a, tenant_a):
    """A new month (all results "no data") does not hide the last month with figures; a
    family with no data at all has no entry."""
    from metrics.services.compliance import mark_periods

    assert selectors.latest_period_health([agreement.family]) == {}
    ingest_records(
        "tickets",
        [
            {
                "agreement": "SLA-M1",
                "external_id": "T-1",
                "priority": "P2",
                "opened_at": cn(2026, 4, 1, 9).isoformat(),
                "first_response_at": cn(2026, 4, 1, 9, 30).isoformat(),
                "resolved_at": cn(2026, 4, 1, 12).isoformat(),
            }
        ],
    )
    mark_periods(tenant_a.pk, periods=[dt.date(2026, 6, 1)])
    recompute_stale(tenant_a.pk, now=cn(2026, 5, 20, 0))  # June marked, not begun: no data
    june = ComplianceResult.objects.filter(period_start=dt.date(2026, 6, 1))
    assert june.count() == 3 and {r.status for r in june} == {Status.NO_DATA}
    health = selectors.latest_period_health([agreement.family])[agreement.family]
    assert health["period"] == dt.date(2026, 4, 1)
    # April: response 30 min, resolution 3 h, no outage (availability 100 %): all met.
    assert (health["met"], health["warning"], health["breached"], health["no_data"]) == (3, 0, 0, 0)
