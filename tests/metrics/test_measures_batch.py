"""Metrics that are not ticket clocks (first-contact resolution, recurrences, deliveries,
accuracy, availability, downtime, samples) are measured for a whole batch with one
statement per kind: each row equals the row computed alone, and the number of statements
does not grow with the number of agreements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.choices import MetricKind
from metrics.models import ComplianceResult
from metrics.services import compliance
from metrics.services.ingest import ingest_records
from metrics.services.terms import load_terms

from .conftest import RESULT_FIELDS, cn, make_active

pytestmark = pytest.mark.django_db
NOW = cn(2026, 4, 20)  # March closed, April running
METRICS = [
    {
        "name": "FCR network",
        "kind": MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
        "target": Decimal("80"),
        "minimum_acceptable": Decimal("60"),
        "tier_codes": ["P2"],
        "ticket_categories": ["network"],
    },
    {
        "name": "Recurrences",
        "kind": MetricKind.RECURRENCE_COUNT,
        "target": Decimal("1"),
        "minimum_acceptable": Decimal("2"),
        "tier_codes": ["P2", "P3"],
        "ticket_kinds": ["incident"],
    },
    {
        "name": "On time",
        "kind": MetricKind.ON_TIME_DELIVERY_RATE,
        "target": Decimal("100"),
        "minimum_acceptable": Decimal("50"),
    },
    {
        "name": "Accuracy",
        "kind": MetricKind.ACCURACY,
        "target": Decimal("100"),
        "minimum_acceptable": Decimal("50"),
    },
    {
        "name": "Availability",
        "kind": MetricKind.AVAILABILITY_PERCENT,
        "target": Decimal("99.5"),
        "minimum_acceptable": Decimal("99"),
    },
    {
        "name": "Downtime",
        "kind": MetricKind.DOWNTIME_MINUTES,
        "target": Decimal("60"),
        "minimum_acceptable": Decimal("120"),
    },
    {
        "name": "Score",
        "kind": MetricKind.CUSTOM_SAMPLE,
        "target": Decimal("4.5"),
        "minimum_acceptable": Decimal("4"),
    },
]
DAYS = {3: 10, 4: 14}  # Tuesdays, no CN holiday


def _ingest(kind, records):
    result = ingest_records(kind, records)
    assert result.committed and not result.errors, result.errors


def _data(reference, k):
    """Different figures per agreement (k) and month, so rows cannot borrow each other's."""
    for month, day in DAYS.items():
        tag = f"{reference}-{month}"
        _ingest(
            "tickets",
            [
                {
                    "agreement": reference,
                    "external_id": f"{tag}-T{i}",
                    "priority": "P2" if i % 5 else "P3",
                    "kind": "question" if i % 4 == 3 else "incident",
                    "category": "network" if i % 2 else "desk",
                    "opened_at": cn(2026, month, day, 9).isoformat(),
                    "resolved_at": cn(2026, month, day, 10 + i % 3).isoformat(),
                    "first_contact_resolved": i % 3 != 0,
                    "recurrence_of": f"{tag}-T0" if i % 3 == 2 else "",
                }
                for i in range(6 + k + month)
            ],
        )
        _ingest(
            "deliveries",
            [
                {
                    "agreement": reference,
                    "external_id": f"{tag}-D{i}",
                    "name": f"Report {i}",
                    "due_at": cn(2026, month, day + i, 18).isoformat(),
                    "delivered_at": (
                        None if i == 2 else cn(2026, month, day + i, 17 + i + k % 2).isoformat()
                    ),
                    "error_free": None if i == 1 else i % 2 == 0,
                }
                for i in range(3 + k % 2)
            ],
        )
        _ingest(
            "outages",
            [
                {  # counted: 30 + 10k minutes
                    "agreement": reference,
                    "external_id": f"{tag}-O1",
                    "start": cn(2026, month, day, 10).isoformat(),
                    "end": (
                        cn(2026, month, day, 10) + dt.timedelta(minutes=30 + 10 * k)
                    ).isoformat(),
                },
                {  # planned, announced 2 h ahead: too short a notice, counted
                    "agreement": reference,
                    "external_id": f"{tag}-O2",
                    "start": cn(2026, month, day + 1, 14).isoformat(),
                    "end": cn(2026, month, day + 1, 15).isoformat(),
                    "planned": True,
                    "announced_at": cn(2026, month, day + 1, 12).isoformat(),
                    "exclusion": "planned_maintenance",
                    "exclusion_reason": "patch window",
                },
                {  # force majeure: excluded
                    "agreement": reference,
                    "external_id": f"{tag}-O3",
                    "start": cn(2026, month, day + 2, 9).isoformat(),
                    "end": cn(2026, month, day + 2, 17).isoformat(),
                    "exclusion": "force_majeure",
                    "exclusion_reason": "typhoon",
                },
            ],
        )
        _ingest(
            "samples",
            [
                {
                    "agreement": reference,
                    "metric": "Score",
                    "period_start": dt.date(2026, month, 1).isoformat(),
                    "value": str(Decimal("4.1") + Decimal(k) / 10),
                    "n": 10 + k,
                },
                {
                    "agreement": reference,
                    "metric": "Score",
                    "measured_at": cn(2026, month, day, 12).isoformat(),
                    "value": "5",
                    "n": 2,
                },
            ],
        )


def _setup(tenant, references, first=0):
    for k, reference in enumerate(references, start=first):
        make_active(tenant, reference, metrics=METRICS)
        _data(reference, k)


def _snapshot():
    rows = ComplianceResult.objects.order_by("family", "metric_name", "period_start")
    return [(r.metric_name, r.period_start, *(getattr(r, f) for f in RESULT_FIELDS)) for r in rows]


def _result(reference, name, month=3):
    return ComplianceResult.objects.get(
        agreement__reference=reference, metric_name=name, period_start=dt.date(2026, month, 1)
    )


def test_one_batch_of_every_kind_equals_each_row_alone(tenant_a, scope_a):
    _setup(tenant_a, ["SLA-N1", "SLA-N2", "SLA-N3"])
    assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 3 * 7 * 2
    together = _snapshot()
    ComplianceResult.objects.update(stale=True, claimed_at=None)
    for row in ComplianceResult.objects.all():
        terms = load_terms([row.family])[row.family]
        compliance.recompute_one(row, None, terms, NOW)
    assert _snapshot() == together
    # A few figures by hand (SLA-N1, k = 0, March: 9 tickets T0..T8).
    # FCR network: P2 (not T0, T5) and network (odd): T1, T3, T7; resolved at first contact
    # (i % 3 != 0): T1, T7 -> 2 of 3 = 66.6667 % -> warning (60 <= x < 80).
    fcr = _result("SLA-N1", "FCR network")
    assert (fcr.count_all, fcr.value, fcr.status) == (3, Decimal("66.6667"), "warning")
    # Recurrences: incidents (not T3, T7) opened in March with recurrence_of (i % 3 == 2):
    # T2, T5, T8 -> 3, over the minimum of 2 -> breached.
    recurrences = _result("SLA-N1", "Recurrences")
    assert (recurrences.count_all, recurrences.value, recurrences.status) == (
        7,
        Decimal("3"),
        "breached",
    )
    # Score: (4.1 x 10 + 5 x 2) / 12 = 4.25 -> warning.
    score = _result("SLA-N1", "Score")
    assert (score.count_all, score.value, score.status) == (12, Decimal("4.2500"), "warning")
    # Downtime: 30 min (O1) + 60 min (O2, notice too short); O3 excluded.
    downtime = _result("SLA-N1", "Downtime")
    assert downtime.value == Decimal("90.0000")
    assert [x["external_id"] for x in downtime.exclusions] == ["SLA-N1-3-O3"]
    # April is running: counted up to NOW.
    assert _result("SLA-N1", "Availability", 4).is_open


def test_statements_do_not_grow_with_the_rows_of_each_kind(tenant_a, scope_a):
    _setup(tenant_a, ["SLA-Q1"])
    with CaptureQueriesContext(connection) as one:
        assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 14
    _setup(tenant_a, ["SLA-Q2", "SLA-Q3", "SLA-Q4"], first=1)
    ComplianceResult.objects.update(stale=True, claimed_at=None)
    with CaptureQueriesContext(connection) as four:
        assert compliance.recompute_stale(tenant_a.pk, now=NOW) == 56
    assert len(four.captured_queries) == len(one.captured_queries)
