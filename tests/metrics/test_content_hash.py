"""The content hash of a record is pinned: stored hashes decide whether a re-sent record
changes anything, so the text hashed must not drift (an upgrade would otherwise count every
re-sent record as changed once)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from metrics.services.parsing import content_hash

TICKET = {
    "ref": "SLA-M1",
    "tier_code": "P2",
    "kind": "incident",
    "category": "网络",
    "opened_at": dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC),
    "first_response_at": dt.datetime(2026, 3, 2, 1, 45, 0, 500, tzinfo=dt.UTC),
    "workaround_at": None,
    "resolved_at": dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC),
    "first_contact_resolved": True,
    "escalated": False,
    "recurrence_of": "",
    "pauses": [["2026-03-02T02:00:00+00:00", "2026-03-02T03:00:00+00:00"]],
}
SAMPLE = {
    "ref": "SLA-M1",
    "metric_name": "CSAT",
    "period_start": dt.date(2026, 3, 1),
    "measured_at": None,
    "value": Decimal("4.5000"),
    "weight": 3,
}


def test_the_content_hash_of_a_record_does_not_drift():
    assert content_hash(TICKET) == (
        "9af86325b7282e8f58ca5e677ee9a328d04b24824a676d96cb2ca8f2c0ad97c3"
    )
    assert content_hash(SAMPLE) == (
        "6d1134b9d8f0329aed9583a9db216c471c9fa4adb4e8bc4653359ca13f5561e7"
    )


def test_it_is_the_sorted_json_of_the_values_with_other_types_as_text():
    for values in (TICKET, SAMPLE, {**TICKET, "pauses": [["2026-03-02T02:00:00+00:00", None]]}):
        text = json.dumps(values, sort_keys=True, default=str)
        assert content_hash(values) == hashlib.sha256(text.encode()).hexdigest()
