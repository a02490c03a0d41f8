"""A hand-written snapshot following decision 010 (schema 1): the renderers' tests read it.

`sample()` is a red month with every section filled; `empty()` has no data anywhere (empty
states). Both return fresh dicts, so a test may change them.
"""

from __future__ import annotations

import copy

MONTHS = [f"2025-{m:02d}-01" for m in range(11, 13)] + [f"2026-{m:02d}-01" for m in range(1, 11)]


def _ticket(external_id, opened_at, elapsed):
    return {
        "kind": "ticket",
        "external_id": external_id,
        "tier": "P2",
        "ticket_kind": "incident",
        "opened_at": opened_at,
        "state": "stopped",
        "due_target_at": None,
        "stopped_at": None,
        "elapsed_minutes": elapsed,
    }


def _corr(metric, measure, rho, n, strength, direction):
    return {
        "metric": metric,
        "measure": measure,
        "rho": rho,
        "n": n,
        "enough": strength != "not_enough",
        "strength": strength,
        "direction": direction,
    }


def _history(values, rates=None, statuses=None):
    rates = rates or [None] * len(values)
    statuses = statuses or ["met"] * len(values)
    return [
        {"start": start, "value": value, "compliance_rate": rate, "status": status}
        for start, value, rate, status in zip(MONTHS, values, rates, statuses, strict=True)
    ]


_SAMPLE = {
    "schema": 1,
    "tenant": {"name": "Alpha Ltd"},
    "agreement": {
        "id": 41,
        "family": "6f1c1a52-3c0e-4b7a-9a52-1f2f3b4c5d6e",
        "reference": "SLA-2026-007",
        "title": "IT service desk for the Shanghai office",
        "version": 2,
        "customer": "Hengda Logistics",
        "provider": "Service Desk East",
        "currency": "CNY",
        "time_zone": "Asia/Shanghai",
        "status": "active",
    },
    "period": {"kind": "month", "start": "2026-10-01", "end": "2026-11-01", "is_open": False},
    "generated_at": "2026-11-05T01:00:00Z",
    "health": "red",
    "counts": {"metrics": 5, "met": 3, "warning": 1, "breached": 1, "no_data": 0},
    "metrics": [
        {
            "id": 101,
            "name": "First response (P1)",
            "kind": "response_time",
            "unit": "min",
            "direction": "lower",
            "period_kind": "month",
            "target": "30",
            "minimum": "60",
            "goal": "95",
            "value": "22.5",
            "compliance_rate": "97.5",
            "count_all": 40,
            "count_within_target": 39,
            "count_within_minimum": 40,
            "status": "met",
            "is_open": False,
            "previous": {"value": "25", "compliance_rate": "96", "status": "met"},
            "change": "-2.5",
            "history": _history(
                ["28", "27", "30", "26", "25", "24", "26", "25", "23", "24", "25", "22.5"],
                ["95", "96", "95", "97", "96", "98", "96", "96", "97", "97", "96", "97.5"],
            ),
            "breach_streak": 0,
            "exclusions": [],
        },
        {
            "id": 102,
            "name": "Resolution time (P2)",
            "kind": "resolution_time",
            "unit": "min",
            "direction": "lower",
            "period_kind": "month",
            "target": "480",
            "minimum": "720",
            "goal": "90",
            "value": "810",
            "compliance_rate": "71.4",
            "count_all": 35,
            "count_within_target": 25,
            "count_within_minimum": 29,
            "status": "breached",
            "is_open": False,
            "previous": {"value": "760", "compliance_rate": "78", "status": "breached"},
            "change": "50",
            "history": _history(
                [
                    "400",
                    "420",
                    "450",
                    "430",
                    "470",
                    "460",
                    "480",
                    "500",
                    "520",
                    "600",
                    "760",
                    "810",
                ],
                ["95", "94", "92", "93", "91", "91", "90", "88", "86", "84", "78", "71.4"],
                ["met"] * 7 + ["warning", "warning", "warning", "breached", "breached"],
            ),
            "breach_streak": 2,
            "exclusions": [
                {
                    "external_id": "INC-4431",
                    "excluded": True,
                    "reason": "customer caused",
                }
            ],
        },
        {
            "id": 103,
            "name": "Availability of the ERP",
            "kind": "availability_percent",
            "unit": "%",
            "direction": "higher",
            "period_kind": "month",
            "target": "99.9",
            "minimum": "99.5",
            "goal": None,
            "value": "99.72",
            "compliance_rate": None,
            "count_all": 2,
            "count_within_target": 0,
            "count_within_minimum": 0,
            "status": "warning",
            "is_open": False,
            "previous": {"value": "99.95", "compliance_rate": None, "status": "met"},
            "change": "-0.23",
            "history": _history(
                [
                    "99.9",
                    "99.95",
                    "99.99",
                    "99.92",
                    "99.9",
                    "99.97",
                    "99.93",
                    "99.96",
                    "99.91",
                    "99.98",
                    "99.95",
                    "99.72",
                ],
                statuses=["met"] * 11 + ["warning"],
            ),
            "breach_streak": 0,
            "exclusions": [
                {
                    "external_id": "OUT-77",
                    "excluded": True,
                    "reason": "planned maintenance announced 48 h ahead (>= 24 h)",
                    "window_minutes": 120,
                }
            ],
        },
        {
            "id": 104,
            "name": "On-time delivery",
            "kind": "on_time_delivery_rate",
            "unit": "%",
            "direction": "higher",
            "period_kind": "month",
            "target": "95",
            "minimum": "90",
            "goal": None,
            "value": "100",
            "compliance_rate": None,
            "count_all": 12,
            "count_within_target": 12,
            "count_within_minimum": 12,
            "status": "met",
            "is_open": False,
            "previous": None,
            "change": None,
            "history": _history([None] * 11 + ["100"], statuses=["no_data"] * 11 + ["met"]),
            "breach_streak": 0,
            "exclusions": [],
        },
        {
            "id": 105,
            "name": "Satisfaction",
            "kind": "satisfaction_score",
            "unit": "score",
            "direction": "higher",
            "period_kind": "month",
            "target": "4.5",
            "minimum": "4",
            "goal": None,
            "value": "4.3",
            "compliance_rate": None,
            "count_all": 28,
            "count_within_target": 0,
            "count_within_minimum": 0,
            "status": "met",
            "is_open": False,
            "previous": {"value": "4.5", "compliance_rate": None, "status": "met"},
            "change": "-0.2",
            "history": _history(
                ["4.6", "4.5", "4.7", "4.6", "4.6", "4.5", "4.6", "4.7", "4.6", "4.5", "4.5", "4.3"]
            ),
            "breach_streak": 0,
            "exclusions": [],
        },
    ],
    "breaches": [
        {
            "metric": "Resolution time (P2)",
            "status": "breached",
            "cause": {
                "code": "late_records",
                "count_all": 35,
                "missed_target": 10,
                "missed_minimum": 6,
                "running_overdue": 1,
                "goal": "90",
            },
            "record_kind": "ticket",
            "records": [
                _ticket("INC-4410", "2026-10-08T02:00:00Z", "1320"),
                _ticket("INC-4417", "2026-10-14T05:30:00Z", "990"),
                _ticket("INC-4425", "2026-10-21T08:10:00Z", "760"),
            ],
            "records_total": 10,
            "exclusions": [
                {"external_id": "INC-4431", "excluded": True, "reason": "customer caused"}
            ],
        },
        {
            "metric": "Availability of the ERP",
            "status": "warning",
            "cause": {
                "code": "value_missed",
                "value": "99.72",
                "target": "99.9",
                "minimum": "99.5",
                "direction": "higher",
                "count_all": 2,
            },
            "record_kind": "outage",
            "records": [
                {
                    "kind": "outage",
                    "external_id": "OUT-75",
                    "excluded": False,
                    "reason": "",
                    "window_minutes": 63,
                },
                {
                    "kind": "outage",
                    "external_id": "OUT-76",
                    "excluded": False,
                    "reason": "",
                    "window_minutes": 20,
                },
            ],
            "records_total": 2,
            "exclusions": [],
        },
    ],
    "tickets": {
        "total": 75,
        "resolved": 73,
        "by_tier": [{"tier": "P1", "count": 40}, {"tier": "P2", "count": 35}],
        "by_kind": [{"kind": "incident", "count": 61}, {"kind": "request", "count": 14}],
        "unresolved": [
            {
                "external_id": "INC-4460",
                "tier": "P2",
                "kind": "incident",
                "category": "Network",
                "opened_at": "2026-10-29T06:12:00Z",
            },
            {
                "external_id": "REQ-2210",
                "tier": "P2",
                "kind": "request",
                "category": "Access 门禁",
                "opened_at": "2026-10-30T09:40:00Z",
            },
        ],
        "unresolved_total": 2,
    },
    "satisfaction": {
        "available": True,
        "invited": 60,
        "answered": 28,
        "response_rate": "46.7",
        "min_n": 5,
        "withheld": False,
        "overall": {"mean": "4.3", "n": 28},
        "csat": {"value": "82.1", "n": 28},
        "dimensions": [
            {"code": "speed", "name": "Speed", "name_zh": "响应速度", "mean": "3.9", "n": 28},
            {"code": "quality", "name": "Quality", "name_zh": "服务质量", "mean": "4.5", "n": 27},
            {"code": "talk", "name": "Communication", "name_zh": "沟通", "mean": "4.4", "n": 26},
        ],
        "distribution": {"1": 1, "2": 1, "3": 3, "4": 8, "5": 15},
        "terms": [
            {"term": "响应", "count": 9},
            {"term": "slow", "count": 6},
            {"term": "friendly", "count": 4},
        ],
        "trend": [
            {"start": start, "mean": mean, "n": 20 + i}
            for i, (start, mean) in enumerate(
                zip(
                    MONTHS,
                    [
                        "4.6",
                        "4.5",
                        "4.7",
                        "4.6",
                        "4.6",
                        "4.5",
                        "4.6",
                        "4.7",
                        "4.6",
                        "4.5",
                        "4.5",
                        "4.3",
                    ],
                    strict=True,
                )
            )
        ],
    },
    "analysis": {
        "correlations": [
            _corr("First response (P1)", "compliance_rate", "0.15", 12, "weak", "positive"),
            _corr("Resolution time (P2)", "compliance_rate", "0.82", 12, "strong", "positive"),
            _corr("Availability of the ERP", "value", "0.05", 12, "none", "none"),
            _corr("On-time delivery", "value", None, 1, "not_enough", "none"),
        ],
        "min_n": 6,
        "hint": {"kind": "improvement_plan", "metrics": ["Resolution time (P2)"], "periods": 2},
    },
    "actions": {
        "open": [
            {
                "id": 7,
                "metric": "Resolution time (P2)",
                "owner": "Li Wei",
                "due_date": "2026-11-20",
                "status": "open",
                "overdue": False,
            }
        ],
        "overdue": [
            {
                "id": 5,
                "metric": "Availability of the ERP",
                "owner": "Chen Jing",
                "due_date": "2026-10-15",
                "status": "in_progress",
                "overdue": True,
            }
        ],
        "closed": [
            {
                "id": 3,
                "metric": "First response (P1)",
                "owner": "Li Wei",
                "due_date": "2026-10-10",
                "status": "done",
                "overdue": False,
            }
        ],
    },
    "follow_ups": {
        "open": [
            {
                "id": 31,
                "contact": "Zhang Min",
                "lowest_score": 1,
                "due_at": "2026-11-03T10:00:00Z",
                "overdue": True,
            },
            {
                "id": 32,
                "contact": "Wang Fang",
                "lowest_score": 2,
                "due_at": "2026-11-07T10:00:00Z",
                "overdue": False,
            },
        ],
        "open_total": 2,
        "overdue": 1,
    },
    "credits": {
        "percent": "5",
        "amount": "2750.00",
        "currency": "CNY",
        "cap_percent": "20",
        "cap_applied": False,
        "breached_metrics": 1,
        "months": [],
        "internal": False,
        "how": {
            "rule": "flat",
            "breached": ["Resolution time (P2)"],
            "monthly_fee": "55000.00",
            "flat_percent": "5",
            "tiers": [],
            "cap_percent": "20",
            "percent": "5",
        },
    },
}


def sample() -> dict:
    return copy.deepcopy(_SAMPLE)


def empty() -> dict:
    """A period without any data: every section shows its empty state."""
    snap = sample()
    snap.update(
        health="none",
        counts={"metrics": 2, "met": 0, "warning": 0, "breached": 0, "no_data": 2},
        breaches=[],
        tickets={"total": 0, "by_tier": [], "by_kind": [], "unresolved": [], "unresolved_total": 0},
        satisfaction={
            "available": False,
            "invited": 0,
            "answered": 0,
            "response_rate": None,
            "min_n": 5,
            "withheld": False,
            "overall": {"mean": None, "n": 0},
            "csat": {"value": None, "n": 0},
            "dimensions": [],
            "distribution": {},
            "terms": [],
            "trend": [],
        },
        analysis={
            "correlations": [],
            "min_n": 6,
            "hint": {"kind": None, "metrics": [], "periods": 0},
        },
        actions={"open": [], "overdue": [], "closed": []},
        follow_ups={"open": [], "overdue": 0},
        credits={
            "percent": "0",
            "amount": "0.00",
            "currency": "CNY",
            "cap_percent": "20",
            "cap_applied": False,
            "breached_metrics": 0,
            "how": {},
        },
    )
    for metric in snap["metrics"][:2]:
        metric.update(
            value=None,
            compliance_rate=None,
            count_all=0,
            count_within_target=0,
            count_within_minimum=0,
            status="no_data",
            previous=None,
            change=None,
            history=[],
            breach_streak=0,
            exclusions=[],
        )
    snap["metrics"] = snap["metrics"][:2]
    return snap
