"""The records behind a breach for rate metrics (first-contact resolution, on-time delivery),
through the real ingest and worker: the snapshot lists the ones that count against it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from agreements.choices import MetricKind, TierCode
from reports import snapshot
from tests.metrics.conftest import cn, make_active

from . import scenario

pytestmark = pytest.mark.django_db

FCR = {
    "name": "First contact",
    "kind": MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
    "target": Decimal("85"),
    "minimum_acceptable": Decimal("75"),
    "tier_codes": [TierCode.P2],
}
ON_TIME = {
    "name": "On time",
    "kind": MetricKind.ON_TIME_DELIVERY_RATE,
    "target": Decimal("100"),
    "minimum_acceptable": Decimal("95"),
}


def test_rate_metric_breaches_list_their_records(scope_a):
    with time_machine.travel(scenario.NOW, tick=False):
        agreement = make_active(
            scope_a, "SLA-B1", metrics=[FCR, ON_TIME], effective_from=dt.date(2026, 1, 1)
        )
        tickets = [
            {
                "agreement": "SLA-B1",
                "external_id": f"F-{i}",
                "priority": "P2",
                "opened_at": cn(2026, 3, 3, 9).isoformat(),
                "first_response_at": cn(2026, 3, 3, 9, 10).isoformat(),
                "resolved_at": cn(2026, 3, 3, 11).isoformat(),
                "first_contact_resolved": i < 2,
            }
            for i in range(4)
        ]
        scenario.ingest("tickets", tickets)
        scenario.ingest(
            "deliveries",
            [
                {
                    "agreement": "SLA-B1",
                    "external_id": "D-1",
                    "name": "Monthly backup test",
                    "due_at": cn(2026, 3, 10, 18).isoformat(),
                    "delivered_at": cn(2026, 3, 10, 17).isoformat(),
                },
                {
                    "agreement": "SLA-B1",
                    "external_id": "D-2",
                    "name": "Patch report",
                    "due_at": cn(2026, 3, 20, 18).isoformat(),
                    "delivered_at": cn(2026, 3, 23, 9).isoformat(),
                },
                {
                    "agreement": "SLA-B1",
                    "external_id": "D-3",
                    "name": "Capacity review",
                    "due_at": cn(2026, 3, 27, 18).isoformat(),
                },
            ],
        )
        scenario.compute(scope_a)
        s = snapshot.build(agreement, "month", scenario.MARCH)
    fcr, on_time = s["metrics"]
    # 2 of 4 resolved at first contact = 50 % < 75 %; 1 of 3 delivered on time = 33.3333 %.
    assert (fcr["value"], fcr["status"]) == ("50", "breached")
    assert (on_time["value"], on_time["status"]) == ("33.3333", "breached")
    by_metric = {b["metric"]: b for b in s["breaches"]}
    assert [r["external_id"] for r in by_metric["First contact"]["records"]] == ["F-2", "F-3"]
    assert by_metric["First contact"]["records_total"] == 2
    late = by_metric["On time"]["records"]
    assert [r["external_id"] for r in late] == ["D-2", "D-3"]
    assert late[1]["delivered_at"] is None and by_metric["On time"]["record_kind"] == "delivery"
    # Flat 5 % per breached metric: 10 % of 20,000.
    assert s["credits"]["amount"] == "2000.00"
