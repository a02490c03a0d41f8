"""The worker's batch path: many families and periods in one claimed batch give each row the
same figures as computing it alone, credits equal the single-family path, and the number of
statements does not grow with the number of agreements (time metrics)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.choices import Status
from metrics.models import ComplianceResult, CreditResult
from metrics.services import compliance
from metrics.services.ingest import ingest_records
from metrics.services.terms import load_terms

from .conftest import RESOLUTION, RESPONSE, RESULT_FIELDS, cn, make_active

pytestmark = pytest.mark.django_db
NOW = cn(2026, 5, 2)


def _tickets(reference, n, late_every, month):
    """n tickets opened on a Tuesday 09:00; every `late_every`-th answered after 90 working
    minutes (past the 60-minute target, within the 120 minimum), the rest after 30."""
    day = {3: 3, 4: 7}[month]
    return [
        {
            "agreement": reference,
            "external_id": f"{reference}-{month}-{i}",
            "priority": "P2",
            "opened_at": cn(2026, month, day, 9).isoformat(),
            "first_response_at": cn(
                2026, month, day, 10 if i % late_every == 0 else 9, 30
            ).isoformat(),
        }
        for i in range(n)
    ]


def _setup(tenant, references):
    for k, reference in enumerate(references):
        make_active(tenant, reference, metrics=[RESPONSE, RESOLUTION])
        for month in (3, 4):
            result = ingest_records("tickets", _tickets(reference, 10 + k, 2 + k, month))
            assert result.committed and not result.errors


def _snapshot():
    rows = ComplianceResult.objects.order_by("family", "metric_name", "period_start")
    return [tuple(getattr(r, f) for f in RESULT_FIELDS) for r in rows]


def test_one_batch_over_many_families_equals_each_row_alone(tenant_a, scope_a):
    _setup(tenant_a, ["SLA-B1", "SLA-B2", "SLA-B3"])
    assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 12
    together = _snapshot()
    credits = sorted(
        CreditResult.objects.values_list("family", "period_start", "breached_metrics", "amount")
    )
    # Each row alone, as the single-row path computes it.
    ComplianceResult.objects.update(stale=True, claimed_at=None)
    CreditResult.objects.all().delete()
    for row in ComplianceResult.objects.all():
        terms = load_terms([row.family])[row.family]
        compliance.recompute_one(row, None, terms, NOW)
    assert _snapshot() == together
    for family in {row.family for row in ComplianceResult.objects.all()}:
        compliance.update_credits(
            load_terms([family])[family], [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
        )
    assert (
        sorted(
            CreditResult.objects.values_list("family", "period_start", "breached_metrics", "amount")
        )
        == credits
    )
    # The figures themselves: SLA-B2 (11 tickets, every 3rd late: 4 late) breaches nothing
    # of Response's 95 % goal within the minimum (all within 120) -> warning.
    response = ComplianceResult.objects.get(
        metric_name="Response", period_start=dt.date(2026, 3, 1), agreement__reference="SLA-B2"
    )
    assert (response.count_all, response.count_within_target, response.status) == (
        11,
        7,
        Status.WARNING,
    )


def test_statements_do_not_grow_with_the_agreements(tenant_a, scope_a):
    _setup(tenant_a, ["SLA-C1", "SLA-C2"])
    with CaptureQueriesContext(connection) as two:
        assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 8
    _setup(tenant_a, ["SLA-C3", "SLA-C4", "SLA-C5", "SLA-C6"])
    ComplianceResult.objects.update(stale=True, claimed_at=None)
    with CaptureQueriesContext(connection) as six:
        assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 24
    assert len(six.captured_queries) == len(two.captured_queries)
