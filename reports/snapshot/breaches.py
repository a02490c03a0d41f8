"""The metrics missed (breached or warning) in the report period and the records behind them."""

from __future__ import annotations

from decimal import Decimal

from agreements.choices import TIME_KINDS
from agreements.models import MetricDefinition
from metrics.choices import Status
from metrics.selectors import records_behind

from .common import exact, iso

RECORDS_SHOWN = 20


def _cause(metric: MetricDefinition, c: dict) -> dict:
    if metric.kind in TIME_KINDS:
        return {
            "code": "late_records",
            "count_all": c["count_all"],
            "missed_target": c["count_all"] - c["count_within_target"],
            "missed_minimum": c["count_all"] - c["count_within_minimum"],
            "running_overdue": c.get("running_overdue", 0),
            "goal": exact(metric.attainment_goal_percent),
        }
    return {
        "code": "value_missed",
        "value": exact(c["value"]),
        "target": exact(metric.target),
        "minimum": exact(metric.minimum_acceptable),
        "direction": "lower" if metric.lower_is_better else "higher",
        "count_all": c["count_all"],
    }


def breaches(version, current: dict, start_at, end_at) -> list[dict]:
    out = []
    for name, (metric, c) in current.items():
        if c["status"] not in (Status.BREACHED, Status.WARNING):
            continue
        kind, records, total = _records(version, metric, c, start_at, end_at)
        out.append(
            {
                "metric": name,
                "status": c["status"],
                "cause": _cause(metric, c),
                "record_kind": kind,
                "records": records,
                "records_total": total,
                "exclusions": c["exclusions"],
            }
        )
    return out


def _records(version, metric, c, start_at, end_at) -> tuple[str, list[dict], int]:
    """The records behind a miss (as the metrics drill-down page selects them), the first
    RECORDS_SHOWN of them, and how many there are."""
    kind, rows = records_behind(version.family, metric, c["starts"], start_at, end_at, missed=True)
    if kind == "outage":
        listed = [{"kind": "outage", **o} for o in c.get("outages", []) if not o.get("excluded")]
        return kind, listed[:RECORDS_SHOWN], len(listed)
    if rows is None:
        return kind, [], 0
    total = rows.count()
    shown = list(rows[:RECORDS_SHOWN])
    if kind == "clock":
        return (
            "ticket",
            [
                {
                    "kind": "ticket",
                    "external_id": clock.ticket.external_id,
                    "tier": clock.ticket.tier_code,
                    "ticket_kind": clock.ticket.kind,
                    "opened_at": iso(clock.ticket.opened_at),
                    "state": clock.state,
                    "due_target_at": iso(clock.due_target_at),
                    "stopped_at": iso(clock.stopped_at),
                    "elapsed_minutes": None
                    if clock.elapsed is None
                    else exact(
                        Decimal(clock.elapsed.total_seconds() / 60).quantize(Decimal("0.01"))
                    ),
                }
                for clock in shown
            ],
            total,
        )
    if kind == "ticket":
        return (
            kind,
            [
                {
                    "kind": "ticket",
                    "external_id": t.external_id,
                    "tier": t.tier_code,
                    "ticket_kind": t.kind,
                    "opened_at": iso(t.opened_at),
                    "resolved_at": iso(t.resolved_at),
                    "recurrence_of": t.recurrence_of,
                }
                for t in shown
            ],
            total,
        )
    if kind == "delivery":
        return (
            kind,
            [
                {
                    "kind": "delivery",
                    "external_id": d.external_id,
                    "name": d.name,
                    "due_at": iso(d.due_at),
                    "delivered_at": iso(d.delivered_at),
                    "error_free": d.error_free,
                }
                for d in shown
            ],
            total,
        )
    return kind, [], total
