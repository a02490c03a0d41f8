"""Marking (metric, period) results stale: new or changed data never recomputes in line; it
upserts the affected result rows with stale = true (one per period however many records),
and the worker recomputes them (metrics.services.compliance)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from ..models import ComplianceResult
from ..periods import period_end, period_start
from .pgarrays import array_literal
from .terms import FamilyTerms, load_terms


def _local_days(values, tz: str) -> set[dt.date]:
    zone = ZoneInfo(tz)
    days = set()
    for value in values:
        if isinstance(value, dt.datetime):
            days.add(value.astimezone(zone).date())
        else:
            days.add(value)
    return days


def mark_stale(tenant_id: int, touched: dict, clock_marks=(), terms: dict | None = None) -> int:
    """touched: {family: {instant or local date}} - every metric of the family, in the
    period holding it; clock_marks: (family, metric_id, period_start). Returns rows marked."""
    families = set(touched) | {family for family, _m, _p in clock_marks}
    if not families:
        return 0
    terms = terms if terms is not None else load_terms(families)
    keys: set[tuple] = set()
    for family, values in touched.items():
        t = terms.get(family)
        if t is None:
            continue
        # Periods are whole months (month, quarter, year): one day per month will do.
        months = {day.replace(day=1) for day in _local_days(values, t.tz)}
        for name, kind in t.metric_names.items():
            for month in months:
                keys.add((family, name, kind, period_start(month, kind)))
    by_id = {m.pk: m for t in terms.values() for v in t.versions for m in v.metrics}
    for family, metric_id, start in clock_marks:
        metric = by_id.get(metric_id)
        if metric is not None:
            keys.add((family, metric.name, metric.period, start))
    return upsert_stale(tenant_id, keys, terms)


def upsert_stale(tenant_id: int, keys, terms: dict[object, FamilyTerms]) -> int:
    rows = defaultdict(list)
    for family, name, kind, start in keys:
        end = period_end(start, kind)
        version = terms[family].version_for_period(start, end)
        if version is None:
            continue  # no version in force: nothing to judge
        metric = next((m for m in version.metrics if m.name == name), None)
        if metric is None or metric.period != kind:
            continue
        row = (family, name, metric.pk, version.agreement.pk, kind, start, end)
        for i, value in enumerate(row):
            rows[i].append(value)
    if not rows:
        return 0
    table = ComplianceResult._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {table} AS r (tenant_id, family, metric_name, metric_id, agreement_id,
                period_kind, period_start, period_end, count_all, count_within_target,
                count_within_minimum, status, exclusions, details, is_open, stale)
            SELECT %s, u.*, 0, 0, 0, 'no_data', '[]'::jsonb, '{{}}'::jsonb, false, true
            FROM unnest(%s::uuid[], %s::text[], %s::bigint[], %s::bigint[], %s::text[],
                        %s::date[], %s::date[]) AS u
            ON CONFLICT (tenant_id, family, metric_name, period_kind, period_start)
            DO UPDATE SET stale = true, claimed_at = NULL, metric_id = EXCLUDED.metric_id,
                agreement_id = EXCLUDED.agreement_id
            -- a row already waiting, unclaimed, is not rewritten (it is still locked: a
            -- worker cannot claim it before this transaction ends)
            WHERE NOT (r.stale AND r.claimed_at IS NULL AND r.metric_id = EXCLUDED.metric_id
                       AND r.agreement_id = EXCLUDED.agreement_id)
            """,
            [tenant_id, *[array_literal(rows[i]) for i in range(7)]],
        )
    return len(rows[0])  # every row is stale now, written or not
