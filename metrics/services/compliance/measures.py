"""Measuring the metrics that are not per-ticket clocks (one query per result row) and
the fields of a time metric from its counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from agreements.choices import MetricKind
from metrics.business_time import elapsed, merge_pauses

from ... import compliance as rules
from ...choices import OutageExclusion, Status
from ...models import Outage
from ...periods import period_end
from ..terms import FamilyTerms, Version

MINUTE = dt.timedelta(minutes=1)


def measure(metric, version: Version, terms: FamilyTerms, period, start_at, end_at, now) -> dict:
    kind = metric.kind
    if kind in (MetricKind.FIRST_CONTACT_RESOLUTION_RATE, MetricKind.RECURRENCE_COUNT):
        return _ticket_rate(metric, version, terms, start_at, end_at)
    if kind in (MetricKind.ON_TIME_DELIVERY_RATE, MetricKind.ACCURACY):
        return _deliveries(metric, terms, start_at, end_at, now)
    if kind in (MetricKind.AVAILABILITY_PERCENT, MetricKind.DOWNTIME_MINUTES):
        return _availability(metric, version, terms, start_at, end_at, now)
    return _samples(metric, terms, period, start_at, end_at)


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


def _ticket_filter(metric, version: Version) -> tuple[str, list]:
    sql, params = " AND t.tier_code = ANY(%s)", [list(version.tier_codes.get(metric.pk, ()))]
    if metric.ticket_kinds:
        sql += " AND t.kind = ANY(%s)"
        params.append(list(metric.ticket_kinds))
    if metric.ticket_categories:
        sql += " AND t.category = ANY(%s)"
        params.append(list(metric.ticket_categories))
    return sql, params


def _ticket_rate(metric, version, terms, start_at, end_at) -> dict:
    """First-contact resolution over tickets resolved in the period; recurrences over tickets
    opened in it."""
    extra, params = _ticket_filter(metric, version)
    fcr = metric.kind == MetricKind.FIRST_CONTACT_RESOLUTION_RATE
    column = "resolved_at" if fcr else "opened_at"
    hit = "t.first_contact_resolved" if fcr else "t.recurrence_of <> ''"
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE {hit}) FROM metrics_ticket t
            WHERE t.tenant_id = %s AND t.family = %s AND t.{column} >= %s AND t.{column} < %s
            {extra}
            """,
            [metric.tenant_id, terms.family, start_at, end_at, *params],
        )
        n, hits = cur.fetchone()
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


def _deliveries(metric, terms, start_at, end_at, now) -> dict:
    """Deliveries count in the period of their due date; one not delivered by the end of the
    period is late (in a running period: once it is overdue)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT count(*) FILTER (WHERE d.delivered_at IS NOT NULL OR d.due_at <= %s),
                   count(*) FILTER (WHERE d.delivered_at <= d.due_at),
                   count(*) FILTER (WHERE d.error_free IS NOT NULL),
                   count(*) FILTER (WHERE d.error_free)
            FROM metrics_delivery d
            WHERE d.tenant_id = %s AND d.family = %s AND d.due_at >= %s AND d.due_at < %s
            """,
            [now, metric.tenant_id, terms.family, start_at, end_at],
        )
        due, on_time, checked, correct = cur.fetchone()
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
        return True, outage.get_exclusion_display()
    return False, ""


def _hours(delta: dt.timedelta) -> str:
    return format(Decimal(delta.total_seconds()) / 3600, "f").rstrip("0").rstrip(".")


def _availability(metric, version, terms, start_at, end_at, now) -> dict:
    """(window minutes - unexcluded downtime inside the window) / window minutes, under the
    agreement's service window; a running period counts up to now."""
    cal = version.window.calendar
    stop = min(end_at, now)
    if stop <= start_at:
        return _no_data()
    outages = list(
        Outage.objects.filter(tenant_id=metric.tenant_id, family=terms.family, started_at__lt=stop)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start_at))
        .order_by("started_at")
    )
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


def _samples(metric, terms, period, start_at, end_at) -> dict:
    """Weighted mean of the samples for the metric in the period (satisfaction, custom)."""
    last = period_end(period, metric.period)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT coalesce(sum(weight), 0), sum(value * weight) FROM metrics_sample s
            WHERE s.tenant_id = %s AND s.family = %s AND s.metric_name = %s
              AND ((s.period_start >= %s AND s.period_start < %s)
                   OR (s.period_start IS NULL AND s.measured_at >= %s AND s.measured_at < %s))
            """,
            [metric.tenant_id, terms.family, metric.name, period, last, start_at, end_at],
        )
        n, total = cur.fetchone()
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
