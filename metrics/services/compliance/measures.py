"""Measuring the metrics that are not per-ticket clocks, and the fields of a time metric from
its counts. A batch measures each kind with one statement for all its rows (`measure_many`):
per-row bounds and filters go as arrays, each row's aggregate is a LATERAL subquery over the
same index range the single-row form scanned, so every figure is computed exactly as before."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from agreements.choices import MetricKind
from metrics.business_time import elapsed, merge_pauses

from ... import compliance as rules
from ...choices import OutageExclusion, Status
from ...models import Outage
from ...periods import period_end
from ..pgarrays import array_literal
from ..terms import FamilyTerms, Version

MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Item:
    """One result row to measure: `key` names it in the answer (the result id)."""

    key: object
    metric: object
    version: Version
    terms: FamilyTerms
    period: dt.date
    start_at: dt.datetime
    end_at: dt.datetime


RATE_KINDS = (MetricKind.FIRST_CONTACT_RESOLUTION_RATE, MetricKind.RECURRENCE_COUNT)
DELIVERY_KINDS = (MetricKind.ON_TIME_DELIVERY_RATE, MetricKind.ACCURACY)
OUTAGE_KINDS = (MetricKind.AVAILABILITY_PERCENT, MetricKind.DOWNTIME_MINUTES)


def measure(metric, version: Version, terms: FamilyTerms, period, start_at, end_at, now) -> dict:
    """One row alone (the batch of one)."""
    item = Item(0, metric, version, terms, period, start_at, end_at)
    return measure_many([item], now)[0]


def measure_many(items: list[Item], now) -> dict:
    """{item key: result fields} of non-time metrics, one statement per kind present."""
    kinds: dict = {"rate": [], "delivery": [], "outage": [], "sample": []}
    for item in items:
        kind = item.metric.kind
        if kind in RATE_KINDS:
            kinds["rate"].append(item)
        elif kind in DELIVERY_KINDS:
            kinds["delivery"].append(item)
        elif kind in OUTAGE_KINDS:
            kinds["outage"].append(item)
        else:
            kinds["sample"].append(item)
    out: dict = {}
    if kinds["rate"]:
        out.update(_ticket_rates(kinds["rate"]))
    if kinds["delivery"]:
        out.update(_deliveries(kinds["delivery"], now))
    if kinds["outage"]:
        out.update(_availability(kinds["outage"], now))
    if kinds["sample"]:
        out.update(_samples(kinds["sample"]))
    return out


def _lateral(cur, columns: list[tuple[str, str, list]], body: str, params: list) -> list[tuple]:
    """Run `SELECT u.i, x.* FROM unnest(columns) AS u(...) CROSS JOIN LATERAL (body) x`:
    `columns` = (name, type, values), `u.i` the row's position in the lists."""
    names = ", ".join(["i", *(n for n, _t, _v in columns)])
    unnest = ", ".join(["%s::int[]", *(f"%s::{t}[]" for _n, t, _v in columns)])
    first = len(columns[0][2])
    cur.execute(
        f"SELECT u.i, x.* FROM unnest({unnest}) AS u({names}) CROSS JOIN LATERAL ({body}) x",
        [
            array_literal(list(range(first))),
            *(array_literal(v) for _n, _t, v in columns),
            *params,
        ],
    )
    return cur.fetchall()


def _judge(metric, value) -> str:
    return rules.value_status(
        value, metric.target, metric.minimum_acceptable, metric.lower_is_better
    )


def _time_metric(metric, counted) -> dict:
    n, target, minimum, overdue = counted
    counts = rules.TimeCounts(n, target, minimum)
    return {
        "count_all": n,
        "count_within_target": target,
        "count_within_minimum": minimum,
        "value": rules.rate(target, n),
        "compliance_rate": rules.rate(target, n),
        "status": rules.time_status(counts, metric.attainment_goal_percent),
        "exclusions": [],
        "details": {"running_overdue": overdue, "goal": str(metric.attainment_goal_percent)},
    }


def _ticket_rates(items: list[Item]) -> dict:
    """First-contact resolution over tickets resolved in the period; recurrences over tickets
    opened in it; the metric's tiers, and its ticket kinds and categories if it names any.
    One statement per kind: a LATERAL count per row, over resolved_at (first-contact
    resolution) or opened_at (recurrences)."""
    tenant_id = items[0].metric.tenant_id
    fcr = [i for i in items if i.metric.kind == MetricKind.FIRST_CONTACT_RESOLUTION_RATE]
    rec = [i for i in items if i.metric.kind != MetricKind.FIRST_CONTACT_RESOLUTION_RATE]
    found = {}
    with connection.cursor() as cur:
        for group, column, hit in (
            (fcr, "resolved_at", "t.first_contact_resolved"),
            (rec, "opened_at", "t.recurrence_of <> ''"),
        ):
            if not group:
                continue
            rows = _lateral(
                cur,
                [
                    ("family", "uuid", [i.terms.family for i in group]),
                    ("lo", "timestamptz", [i.start_at for i in group]),
                    ("hi", "timestamptz", [i.end_at for i in group]),
                    (
                        "tiers",
                        "jsonb",
                        [_codes(i.version.tier_codes.get(i.metric.pk, ())) for i in group],
                    ),
                    ("kinds", "jsonb", [_codes(i.metric.ticket_kinds, none=True) for i in group]),
                    (
                        "cats",
                        "jsonb",
                        [_codes(i.metric.ticket_categories, none=True) for i in group],
                    ),
                ],
                f"""
                SELECT count(*), count(*) FILTER (WHERE {hit}) FROM metrics_ticket t
                WHERE t.tenant_id = %s AND t.family = u.family
                  AND t.{column} >= u.lo AND t.{column} < u.hi
                  AND u.tiers ? t.tier_code
                  AND (u.kinds IS NULL OR u.kinds ? t.kind)
                  AND (u.cats IS NULL OR u.cats ? t.category)
                """,
                [tenant_id],
            )
            found.update({group[i].key: (n, hits) for i, n, hits in rows})
    return {i.key: _ticket_rate(i.metric, *found[i.key]) for i in items}


def _codes(values, none: bool = False) -> str | None:
    """A JSON array of strings for `jsonb ? text` (the same test as `= ANY(list)`); None
    for an empty filter that means "every value" (`none`)."""
    values = sorted(values or ())
    if none and not values:
        return None
    return json.dumps(values)


def _ticket_rate(metric, n: int, hits: int) -> dict:
    fcr = metric.kind == MetricKind.FIRST_CONTACT_RESOLUTION_RATE
    value = rules.rate(hits, n) if fcr else (Decimal(hits) if n else None)
    return {
        "count_all": n,
        "count_within_target": 0,
        "count_within_minimum": 0,
        "value": value,
        "compliance_rate": rules.rate(hits, n) if fcr else None,
        "status": _judge(metric, value),
        "exclusions": [],
        "details": {"hits": hits},
    }


def _deliveries(items: list[Item], now) -> dict:
    """Deliveries count in the period of their due date; one not delivered by the end of the
    period is late (in a running period: once it is overdue)."""
    with connection.cursor() as cur:
        rows = _lateral(
            cur,
            [
                ("family", "uuid", [i.terms.family for i in items]),
                ("lo", "timestamptz", [i.start_at for i in items]),
                ("hi", "timestamptz", [i.end_at for i in items]),
            ],
            """
            SELECT count(*) FILTER (WHERE d.delivered_at IS NOT NULL OR d.due_at <= %s),
                   count(*) FILTER (WHERE d.delivered_at <= d.due_at),
                   count(*) FILTER (WHERE d.error_free IS NOT NULL),
                   count(*) FILTER (WHERE d.error_free)
            FROM metrics_delivery d
            WHERE d.tenant_id = %s AND d.family = u.family AND d.due_at >= u.lo AND d.due_at < u.hi
            """,
            [now, items[0].metric.tenant_id],
        )
    found = {items[i].key: counts for i, *counts in rows}
    return {i.key: _delivery(i.metric, *found[i.key]) for i in items}


def _delivery(metric, due: int, on_time: int, checked: int, correct: int) -> dict:
    if metric.kind == MetricKind.ON_TIME_DELIVERY_RATE:
        n, hits = due, on_time
    else:
        n, hits = checked, correct
    value = rules.rate(hits, n)
    return {
        "count_all": n,
        "count_within_target": hits,
        "count_within_minimum": hits,
        "value": value,
        "compliance_rate": value,
        "status": _judge(metric, value),
        "exclusions": [],
        "details": {"late_or_wrong": n - hits},
    }


def outage_exclusion(outage: Outage, notice_hours: int) -> tuple[bool, str]:
    """Whether an outage is excluded, and why (or why not)."""
    if outage.exclusion == OutageExclusion.PLANNED_MAINTENANCE:
        notice = dt.timedelta(hours=notice_hours)
        if (
            outage.planned
            and outage.announced_at
            and outage.announced_at <= outage.started_at - notice
        ):
            return (
                True,
                f"planned maintenance announced {_hours(outage.started_at - outage.announced_at)} h ahead (>= {notice_hours} h)",
            )
        given = (
            "not announced"
            if not outage.announced_at
            else (f"announced {_hours(outage.started_at - outage.announced_at)} h ahead")
        )
        return False, f"planned maintenance {given}: less than the {notice_hours} h notice"
    if outage.exclusion in (OutageExclusion.FORCE_MAJEURE, OutageExclusion.CUSTOMER_CAUSED):
        # The choice's label, as get_exclusion_display() gives it (which rebuilds the
        # field's choices on every call: a third of the availability time of a batch).
        return True, str(OutageExclusion(outage.exclusion).label)
    return False, ""


def _hours(delta: dt.timedelta) -> str:
    return format(Decimal(delta.total_seconds()) / 3600, "f").rstrip("0").rstrip(".")


def _availability(items: list[Item], now) -> dict:
    """The outages of every family of the batch over the span of its rows in one query, then
    each row from those overlapping its own period, in the order of their start."""
    spans = {}  # family -> (earliest start, latest stop) of its rows
    for i in items:
        stop = min(i.end_at, now)
        if stop > i.start_at:
            low, high = spans.get(i.terms.family, (i.start_at, stop))
            spans[i.terms.family] = (min(low, i.start_at), max(high, stop))
    by_family = defaultdict(list)
    if spans:
        condition = Q()
        for family, (low, high) in spans.items():
            condition |= Q(family=family, started_at__lt=high) & (
                Q(ended_at__isnull=True) | Q(ended_at__gt=low)
            )
        outages = Outage.objects.filter(condition, tenant_id=items[0].metric.tenant_id)
        for outage in outages.order_by("started_at", "id"):
            by_family[outage.family].append(outage)
    return {
        i.key: _availability_of(
            i.metric, i.version, by_family[i.terms.family], i.start_at, i.end_at, now
        )
        for i in items
    }


def _availability_of(metric, version, candidates, start_at, end_at, now) -> dict:
    """(window minutes - unexcluded downtime inside the window) / window minutes, under the
    agreement's service window; a running period counts up to now."""
    cal = version.window.calendar
    stop = min(end_at, now)
    if stop <= start_at:
        return _no_data()
    outages = [
        o
        for o in candidates
        if o.started_at < stop and (o.ended_at is None or o.ended_at > start_at)
    ]
    counted, listed = [], []
    for outage in outages:
        excluded, why = outage_exclusion(outage, version.agreement.maintenance_notice_hours)
        span = (max(outage.started_at, start_at), min(outage.ended_at or stop, stop))
        minutes = elapsed(cal, *span) / MINUTE if span[0] < span[1] else 0
        listed.append(
            {
                "external_id": outage.external_id,
                "service": outage.service,
                "excluded": excluded,
                "reason": why,
                "window_minutes": round(minutes, 4),
            }
        )
        if not excluded and span[0] < span[1]:
            counted.append(span)
    window = elapsed(cal, start_at, stop)
    down = sum(
        (elapsed(cal, s, e) for s, e in merge_pauses(counted, start_at, stop)), dt.timedelta()
    )
    if window <= dt.timedelta(0):
        return _no_data(exclusions=listed)
    down_minutes = Decimal(down / MINUTE).quantize(rules.RATE_PLACES)
    if metric.kind == MetricKind.DOWNTIME_MINUTES:
        value = down_minutes
    else:
        value = (
            Decimal((window - down) / dt.timedelta(microseconds=1))
            * rules.HUNDRED
            / Decimal(window / dt.timedelta(microseconds=1))
        ).quantize(rules.RATE_PLACES)
    return {
        "count_all": len(outages),
        "count_within_target": 0,
        "count_within_minimum": 0,
        "value": value,
        "compliance_rate": value if metric.kind == MetricKind.AVAILABILITY_PERCENT else None,
        "status": _judge(metric, value),
        "exclusions": [x for x in listed if x["excluded"]],
        "details": {
            "window_minutes": str(Decimal(window / MINUTE).quantize(rules.RATE_PLACES)),
            "downtime_minutes": str(down_minutes),
            "outages": listed[:200],
        },
    }


def _samples(items: list[Item]) -> dict:
    """Weighted mean of the samples for the metric in the period (satisfaction, custom)."""
    with connection.cursor() as cur:
        rows = _lateral(
            cur,
            [
                ("family", "uuid", [i.terms.family for i in items]),
                ("name", "text", [i.metric.name for i in items]),
                ("p_first", "date", [i.period for i in items]),
                ("p_last", "date", [period_end(i.period, i.metric.period) for i in items]),
                ("lo", "timestamptz", [i.start_at for i in items]),
                ("hi", "timestamptz", [i.end_at for i in items]),
            ],
            """
            SELECT coalesce(sum(weight), 0), sum(value * weight) FROM metrics_sample s
            WHERE s.tenant_id = %s AND s.family = u.family AND s.metric_name = u.name
              AND ((s.period_start >= u.p_first AND s.period_start < u.p_last)
                   OR (s.period_start IS NULL AND s.measured_at >= u.lo AND s.measured_at < u.hi))
            """,
            [items[0].metric.tenant_id],
        )
    found = {items[i].key: (n, total) for i, n, total in rows}
    return {i.key: _sample(i.metric, *found[i.key]) for i in items}


def _sample(metric, n, total) -> dict:
    value = (Decimal(total) / n).quantize(rules.RATE_PLACES) if n else None
    return {
        "count_all": n,
        "count_within_target": 0,
        "count_within_minimum": 0,
        "value": value,
        "compliance_rate": None,
        "status": _judge(metric, value),
        "exclusions": [],
        "details": {},
    }


def _no_data(exclusions=()) -> dict:
    return {
        "count_all": 0,
        "count_within_target": 0,
        "count_within_minimum": 0,
        "value": None,
        "compliance_rate": None,
        "status": Status.NO_DATA,
        "exclusions": list(exclusions),
        "details": {},
    }
