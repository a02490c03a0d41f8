"""Each metric of the version in force: its figure in the report period, the previous one,
its history and its streak of missed periods, from the stored ComplianceResult rows.

A metric measured over a period at least as long as the report's shows the result of its
period containing the report period; a metric measured over shorter periods (monthly metric
in a quarterly report) shows the periods inside combined: counts summed, rate = within
target / all, value = the mean of the periods' values (rate metrics) or the rate (time
metrics), status = the worst. A metric's history steps by the longer of the two period kinds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from agreements.choices import TIME_KINDS
from agreements.models import Agreement, MetricDefinition
from metrics import compliance as rules
from metrics.choices import Status
from metrics.models import ComplianceResult
from metrics.periods import period_end

from .common import exact, history_starts, longer, period_start

_WORST = [Status.BREACHED, Status.WARNING, Status.MET, Status.NO_DATA]


def _combine(rows: list[dict], metric: MetricDefinition) -> dict:
    """One metric's figure over one period from its result rows (one, or several shorter)."""
    if not rows:
        return {
            "value": None,
            "compliance_rate": None,
            "count_all": 0,
            "count_within_target": 0,
            "count_within_minimum": 0,
            "status": str(Status.NO_DATA),
            "is_open": False,
            "exclusions": [],
            "starts": [],
        }
    statuses = [r["status"] for r in rows]
    status = next(s for s in _WORST if s in statuses)
    if status == Status.NO_DATA and any(s != Status.NO_DATA for s in statuses):
        status = Status.MET
    counts = {
        k: sum(r[k] for r in rows)
        for k in ("count_all", "count_within_target", "count_within_minimum")
    }
    if len(rows) == 1:
        value, rate = rows[0]["value"], rows[0]["compliance_rate"]
    elif metric.kind in TIME_KINDS:
        value = rate = rules.rate(counts["count_within_target"], counts["count_all"])
    else:
        values = [r["value"] for r in rows if r["value"] is not None]
        rates = [r["compliance_rate"] for r in rows if r["compliance_rate"] is not None]
        value = (sum(values) / len(values)).quantize(rules.RATE_PLACES) if values else None
        rate = (sum(rates) / len(rates)).quantize(rules.RATE_PLACES) if rates else None
    return {
        "value": value,
        "compliance_rate": rate,
        **counts,
        "status": str(status),
        "is_open": any(r["is_open"] for r in rows),
        "exclusions": [x for r in rows for x in (r["exclusions"] or [])],
        "starts": [r["period_start"] for r in rows],
        "running_overdue": sum((r["details"] or {}).get("running_overdue", 0) or 0 for r in rows),
        "outages": [o for r in rows for o in (r["details"] or {}).get("outages", [])],
    }


def _rows_for(by_name: dict, metric: MetricDefinition, start: dt.date, kind: str) -> list[dict]:
    end = period_end(start, kind)
    out = []
    for r in by_name.get(metric.name, ()):
        if r["period_kind"] != metric.period:
            continue
        containing = r["period_start"] <= start and r["period_end"] >= end
        inside = r["period_start"] >= start and r["period_end"] <= end
        if containing or inside:
            out.append(r)
    return out


def _missed(status: str, counts_warnings: bool) -> bool:
    return status == Status.BREACHED or (counts_warnings and status == Status.WARNING)


def metric_items(version: Agreement, period_kind: str, start: dt.date) -> tuple[list, dict]:
    """The metric items of the snapshot and, per metric name, (metric, combined figure) of
    the report period (the breaches section lists the records behind those)."""
    end = period_end(start, period_kind)
    metrics = list(version.metrics.order_by("order", "id"))

    # Every result of the family back to the start of the oldest history period needed.
    step_kinds = {longer(period_kind, m.period) for m in metrics}
    oldest = min([history_starts(period_start(start, k), k)[0] for k in step_kinds] or [start])
    rows = ComplianceResult.objects.filter(
        family=version.family,
        period_start__gte=min(oldest, dt.date(oldest.year, 1, 1)),
        period_start__lt=end,
    ).values(
        "metric_name",
        "period_kind",
        "period_start",
        "period_end",
        "value",
        "compliance_rate",
        "count_all",
        "count_within_target",
        "count_within_minimum",
        "status",
        "is_open",
        "exclusions",
        "details",
    )
    by_name = defaultdict(list)
    for r in rows:
        by_name[r["metric_name"]].append(r)

    counts_warnings = version.escalation_counts_warnings
    items, current = [], {}
    for m in metrics:
        step = longer(period_kind, m.period)
        history = []
        for h_start in history_starts(period_start(start, step), step):
            c = _combine(_rows_for(by_name, m, h_start, step), m)
            history.append((h_start, c))
        cur = history[-1][1]
        current[m.name] = (m, cur)
        prev = history[-2][1] if len(history) > 1 else None
        streak = 0
        for _h, c in reversed(history):
            if not _missed(c["status"], counts_warnings):
                break
            streak += 1
        change = None
        if prev and prev["value"] is not None and cur["value"] is not None:
            change = exact(Decimal(cur["value"]) - Decimal(prev["value"]))
        items.append(
            {
                "id": m.pk,
                "name": m.name,
                "kind": m.kind,
                "unit": m.unit,
                "direction": "lower" if m.lower_is_better else "higher",
                "period_kind": m.period,
                "target": exact(m.target),
                "minimum": exact(m.minimum_acceptable),
                "goal": exact(m.attainment_goal_percent) if m.kind in TIME_KINDS else None,
                "value": exact(cur["value"]),
                "compliance_rate": exact(cur["compliance_rate"]),
                "count_all": cur["count_all"],
                "count_within_target": cur["count_within_target"],
                "count_within_minimum": cur["count_within_minimum"],
                "status": cur["status"],
                "is_open": cur["is_open"],
                "previous": None
                if prev is None
                else {
                    "value": exact(prev["value"]),
                    "compliance_rate": exact(prev["compliance_rate"]),
                    "status": prev["status"],
                },
                "change": change,
                "history": [
                    {
                        "start": h.isoformat(),
                        "value": exact(c["value"]),
                        "compliance_rate": exact(c["compliance_rate"]),
                        "status": c["status"],
                    }
                    for h, c in history
                ],
                "breach_streak": streak,
                "exclusions": cur["exclusions"],
            }
        )

    return items, current
