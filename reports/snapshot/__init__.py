"""The report of one agreement family and period as one JSON-serialisable dict (decision 010).

`build` reads what the workers computed (ComplianceResult, CreditResult, ImprovementAction,
ticket clocks) and the survey figures, in a bounded number of queries (about 20 plus two per
missed metric, whatever the number of records). Numbers, ids, names and codes only: no
translated text. Decimals are strings, instants ISO 8601 in UTC, dates ISO.

One module per section; metric_items explains how periods of a metric and of the report
combine.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from agreements.choices import MeasurementPeriod
from agreements.models import Agreement
from agreements.selectors import IN_FORCE_STATUSES
from metrics.choices import Status
from metrics.periods import agreement_time_zone, bounds, period_end

from . import breaches, obligations, satisfaction, tickets
from .breaches import RECORDS_SHOWN
from .common import iso
from .metric_items import metric_items

SCHEMA = 1


def health_of(statuses) -> str:
    """red if any breached, amber if any warning, green if every metric with data is met,
    none if no metric has data."""
    statuses = list(statuses)
    unknown = set(statuses) - set(Status.values)
    if unknown:
        raise ValueError(f"unknown statuses: {sorted(unknown)}")
    if Status.BREACHED in statuses:
        return "red"
    if Status.WARNING in statuses:
        return "amber"
    if Status.MET in statuses:
        return "green"
    return "none"


def version_in_force(agreement: Agreement, start: dt.date, end: dt.date) -> Agreement:
    """The family's version in force in the period (on its last day, else the latest one
    overlapping it); the given agreement when none was in force."""
    versions = list(
        Agreement.objects.filter(
            family=agreement.family, status__in=IN_FORCE_STATUSES, effective_from__isnull=False
        )
        .select_related("tenant", "customer", "default_calendar")
        .order_by("version")
    )
    last = end - dt.timedelta(days=1)
    found = None
    for v in versions:
        if v.effective_from <= last and (v.effective_to is None or last <= v.effective_to):
            found = v
    if found is None:
        for v in reversed(versions):
            if v.effective_from < end and (v.effective_to is None or v.effective_to >= start):
                found = v
                break
    if found is None:
        found = (
            Agreement.objects.select_related("tenant", "customer", "default_calendar").get(
                pk=agreement.pk
            )
            if agreement.pk
            else agreement
        )
    return found


def build(agreement: Agreement, period_kind: str, period_start: dt.date, *, now=None) -> dict:
    if period_kind not in MeasurementPeriod.values:
        raise ValueError(f"unknown period kind: {period_kind!r}")
    now = now or timezone.now()
    start = period_start
    end = period_end(start, period_kind)
    version = version_in_force(agreement, start, end)
    tz = agreement_time_zone(version)
    start_at, end_at = bounds(start, period_kind, tz)
    items, current = metric_items(version, period_kind, start)
    statuses = [item["status"] for item in items]
    satisfied = satisfaction.satisfaction(version, period_kind, start, end)
    return {
        "schema": SCHEMA,
        "tenant": {"name": version.tenant.name},
        "agreement": {
            "id": version.pk,
            "family": str(version.family),
            "reference": version.reference,
            "title": version.title,
            "version": version.version,
            "customer": version.customer.name,
            "provider": version.provider_team or version.tenant.name,
            "currency": version.currency,
            "time_zone": tz,
            "status": version.status,
            "kind": version.kind,
        },
        "period": {
            "kind": period_kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "is_open": end_at > now,
        },
        "generated_at": iso(now),
        "health": health_of(statuses),
        "counts": {
            "metrics": len(statuses),
            "met": statuses.count(Status.MET),
            "warning": statuses.count(Status.WARNING),
            "breached": statuses.count(Status.BREACHED),
            "no_data": statuses.count(Status.NO_DATA),
        },
        "metrics": items,
        "breaches": breaches.breaches(version, current, start_at, end_at),
        "tickets": tickets.tickets(version, start_at, end_at),
        "satisfaction": satisfied,
        "analysis": satisfaction.analysis(version, items, satisfied, period_kind),
        "actions": obligations.actions(version, start, end),
        "follow_ups": obligations.follow_ups(version, end_at, now),
        "credits": obligations.credits(version, period_kind, start, end),
    }


__all__ = ["RECORDS_SHOWN", "SCHEMA", "build", "health_of", "version_in_force"]
