"""Compliance per metric and period from stored data, credits and escalations.

Results are recomputed only by the worker: rows are marked stale (services.stale), claimed
with SELECT ... FOR UPDATE SKIP LOCKED and each one recomputed in its own transaction (a
killed worker leaves the row as it was, still stale, claimable again after CLAIM_TIMEOUT).
Counting is SQL aggregation; the status rules are metrics.compliance (pure).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agreements.choices import TIME_KINDS, AgreementKind, CustomerKind, MetricKind
from metrics.business_time import elapsed, merge_pauses

from .. import compliance as rules
from ..choices import OutageExclusion, Status
from ..models import ComplianceResult, CreditResult, ImprovementAction, Outage
from ..periods import bounds, period_end, period_start
from .pgarrays import array_literal
from .terms import FamilyTerms, Version, load_terms

CLAIM_TIMEOUT = dt.timedelta(minutes=10)
BATCH = 5000
MINUTE = dt.timedelta(minutes=1)


# Apps above metrics (reports) register what they have published; metrics never imports them.
# A source is called with a set of families and returns (family, start, end exclusive) of
# every published period of those families.
_published_sources: list = []


def register_published_source(source) -> None:
    if source not in _published_sources:
        _published_sources.append(source)


def published_ranges(families) -> dict:
    """{family: [(start, end exclusive)]} of the published periods of these families."""
    out: dict = defaultdict(list)
    families = set(families)
    if not families:
        return out
    for source in _published_sources:
        for family, start, end in source(families):
            out[family].append((start, end))
    return out


def published(family, period: dt.date, ranges: dict | None = None) -> bool:
    """Whether a report covering the day `period` (a period's first day) was published for the
    family: its results may be recomputed for the live view, but its clocks stay frozen.
    Pass `ranges` (published_ranges of the families) to check many periods in one query."""
    if ranges is None:
        ranges = published_ranges({family})
    return any(start <= period < end for start, end in ranges.get(family, ()))


# ---------------------------------------------------------------------------
# Claiming


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed result row: the fields the computation reads (no model instance needed)."""

    pk: int
    claimed_at: dt.datetime
    tenant_id: int
    family: object
    metric_name: str
    metric_id: int
    agreement_id: int
    period_kind: str
    period_start: dt.date
    period_end: dt.date


def claim(tenant_id: int, limit: int = BATCH) -> list[tuple[int, dt.datetime]]:
    """Claim up to `limit` stale rows nobody works on; committed at once so other workers
    skip them. Returns (id, claim instant)."""
    return [(row.pk, row.claimed_at) for row in claim_rows(tenant_id, limit)]


def claim_rows(tenant_id: int, limit: int = BATCH) -> list[Claimed]:
    """claim(), returning the claimed rows' fields with the claim. Two statements in one
    transaction: lock the ids (SKIP LOCKED), then update them named as a constant array, an
    index probe per id whatever the statistics say. As one `UPDATE ... WHERE id IN
    (SELECT ... FOR UPDATE SKIP LOCKED)`, right after a bulk load (no statistics yet: one
    stale row expected) the subquery was the inner side of a nested loop, re-run per row:
    2.5 s for 4,810 rows instead of 0.1 s."""
    table = ComplianceResult._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT id FROM {table}
            WHERE tenant_id = %s AND stale
              AND (claimed_at IS NULL OR claimed_at < now() - %s)
            ORDER BY family, period_start, id
            LIMIT %s
            FOR UPDATE SKIP LOCKED
            """,
            [tenant_id, CLAIM_TIMEOUT, limit],
        )
        ids = [pk for (pk,) in cur.fetchall()]
        if not ids:
            return []
        cur.execute(
            f"""
            UPDATE {table} SET claimed_at = clock_timestamp()
            WHERE id = ANY(%s::bigint[])
            RETURNING id, claimed_at, tenant_id, family::text, metric_name, metric_id, agreement_id,
                period_kind, period_start, period_end
            """,
            [array_literal(ids)],
        )
        uuids = _Uuids()
        return [
            Claimed(pk, at, tenant, uuids[family], *rest)
            for pk, at, tenant, family, *rest in cur.fetchall()
        ]


class _Uuids(dict):
    """Text -> UUID, parsed once per distinct value: psycopg2 parses a uuid column per row
    (about 10 us each), and a batch repeats a few hundred families thousands of times."""

    def __missing__(self, text):
        value = self[text] = UUID(text)
        return value


def recompute_stale(tenant_id: int, now: dt.datetime | None = None) -> int:
    """Recompute every stale result of the tenant (claimed batch by batch, each batch written
    in one transaction); then credits and escalations of what changed, once per family.
    Returns the number of results recomputed."""
    done, follow, all_terms = 0, set(), {}
    while True:
        rows = claim_rows(tenant_id)
        if not rows:
            break
        missing = {r.family for r in rows} - set(all_terms)
        all_terms.update(load_terms(missing))
        recompute_batch(rows, {r.pk: r.claimed_at for r in rows}, all_terms, now)
        follow |= {(r.family, r.metric_name, r.period_end) for r in rows if r.family in all_terms}
        done += len(rows)
    families = {f for f, _n, _e in follow}
    results = _family_results(tenant_id, families)
    months, names = defaultdict(set), defaultdict(set)  # per family, in one pass
    for family, name, end in follow:
        months[family].add(period_start(end - dt.timedelta(days=1), "month"))
        names[family].add(name)
    existing = set(
        ImprovementAction.objects.filter(family__in=families).values_list(
            "family", "metric_name", "streak_start"
        )
    )
    credits = []
    # One transaction for the follow-ups: a first aggregation creates an improvement action
    # (and its audit event) per run of breaches, hundreds at 200 agreements, and committed
    # one by one they cost a WAL flush each.
    with transaction.atomic():
        for family in families:
            credits += credit_rows(all_terms[family], sorted(months[family]), results[family])
            for name in names[family]:
                update_escalations(all_terms[family], name, now, results[family], existing)
        _store_credits(credits)  # one statement for every family
    return done


def _family_results(tenant_id: int, families) -> dict:
    """{family: [result row as a dict]} of every result of these families (one plain read)."""
    results = defaultdict(list)
    if not families:
        return results
    keys = (
        "family",
        "metric_name",
        "period_kind",
        "period_start",
        "period_end",
        "status",
        "is_open",
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT family::text, {", ".join(keys[1:])} FROM {ComplianceResult._meta.db_table}
            WHERE tenant_id = %s AND family = ANY(%s::uuid[])
            """,
            [tenant_id, array_literal(sorted(families, key=str))],
        )
        uuids = _Uuids()
        for family, *rest in cur.fetchall():
            family = uuids[family]
            results[family].append(dict(zip(keys, (family, *rest), strict=True)))
    return results


# ---------------------------------------------------------------------------
# Results


def recompute_one(
    row: ComplianceResult, claim_at: dt.datetime | None, terms: FamilyTerms, now=None
) -> None:
    recompute_batch([row], {row.pk: claim_at}, {row.family: terms}, now)


def recompute_batch(rows, claims: dict, terms: dict, now=None) -> None:
    """Compute the rows (time metrics counted for all rows in one query) and write them in
    one statement; a row whose data changed after its claim stays stale."""
    now = now or timezone.now()
    plans = []
    for row in rows:
        t = terms.get(row.family)
        version = t.version_for_period(row.period_start, row.period_end) if t else None
        metric = None
        if version is not None:
            metric = next((m for m in version.metrics if m.name == row.metric_name), None)
            if metric is not None and metric.period != row.period_kind:
                metric = None
        plans.append((row, t, version, metric))
    counts = _time_counts(
        [(row, t) for row, t, _v, m in plans if m is not None and m.kind in TIME_KINDS], now
    )
    written = [
        compute_fields(row, t, version, metric, now, counts) for row, t, version, metric in plans
    ]
    _write(written, claims)


def compute_fields(row, terms, version, metric, now, counts) -> dict:
    fields = {"id": row.pk, "metric_id": row.metric_id, "agreement_id": row.agreement_id}
    if metric is None:
        fields.update(
            is_open=False,
            status=Status.NO_DATA,
            count_all=0,
            count_within_target=0,
            count_within_minimum=0,
            value=None,
            compliance_rate=None,
            exclusions=[],
            details={"reason": "no version in force with this metric"},
        )
        return fields
    start_at, end_at = bounds(row.period_start, row.period_kind, terms.tz)
    fields.update(metric_id=metric.pk, agreement_id=version.agreement.pk, is_open=end_at > now)
    if metric.kind in TIME_KINDS:
        fields.update(_time_metric(metric, counts.get(row.pk, (0, 0, 0, 0))))
    else:
        fields.update(measure(metric, version, terms, row.period_start, start_at, end_at, now))
    return fields


_COLUMNS = (
    ("id", "bigint"),
    ("metric_id", "bigint"),
    ("agreement_id", "bigint"),
    ("is_open", "boolean"),
    ("status", "text"),
    ("count_all", "integer"),
    ("count_within_target", "integer"),
    ("count_within_minimum", "integer"),
    ("value", "numeric"),
    ("compliance_rate", "numeric"),
    ("exclusions", "text"),
    ("details", "text"),
    ("claim", "timestamptz"),
)


def _write(written: list[dict], claims: dict) -> None:
    if not written:
        return
    for fields in written:
        fields["claim"] = claims.get(fields["id"])
    table = ComplianceResult._meta.db_table
    arrays = [
        array_literal(
            [json.dumps(f[name], default=str) for f in written]
            if name in ("exclusions", "details")
            else [f[name] for f in written]
        )
        for name, _t in _COLUMNS
    ]
    unnest = ", ".join(f"%s::{t}[]" for _n, t in _COLUMNS)
    names = ", ".join(n for n, _t in _COLUMNS)
    sets = ", ".join(
        f"{n} = u.{n}" + ("::jsonb" if n in ("exclusions", "details") else "")
        for n, _t in _COLUMNS
        if n not in ("id", "claim")
    )
    with transaction.atomic(), connection.cursor() as cur:
        # Still stale when the data changed again after this claim (the marker cleared it).
        cur.execute(
            f"""
            UPDATE {table} AS r SET {sets}, computed_at = now(),
                stale = r.claimed_at IS DISTINCT FROM u.claim, claimed_at = NULL
            FROM unnest({unnest}) AS u({names})
            WHERE r.id = u.id
            """,
            arrays,
        )


def _time_counts(rows, now) -> dict:
    """{result id: (all, within target, within minimum, running overdue)} in one grouped query
    over the clocks of the batch's families and periods (an index range per family): clocks
    counting in the period (stopped, or running past the minimum due time), matched across
    versions by the metric's name. Grouped by metric id and named here: a join to the metric
    table is planned as a nested loop while the clock statistics lag behind a bulk load."""
    if not rows:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.family::text, c.metric_id, c.period_start, count(*),
                   count(*) FILTER (WHERE c.state = 'within_target'),
                   count(*) FILTER (WHERE c.state IN ('within_target', 'within_minimum')),
                   count(*) FILTER (WHERE c.stopped_at IS NULL)
            FROM metrics_ticketclock c
            WHERE c.tenant_id = %s AND c.family = ANY(%s::uuid[])
              AND c.period_start = ANY(%s::date[])
              AND (c.stopped_at IS NOT NULL OR c.due_minimum_at <= %s)
            GROUP BY c.family, c.metric_id, c.period_start
            """,
            [
                rows[0][0].tenant_id,
                array_literal(sorted({str(r.family) for r, _t in rows})),
                array_literal(sorted({r.period_start for r, _t in rows})),
                now,
            ],
        )
        grouped = cur.fetchall()
    families = {r.family: t for r, t in rows if t}
    names = {m.pk: m.name for t in families.values() for v in t.versions for m in v.metrics}
    unknown = {metric for _f, metric, *_rest in grouped if metric not in names}
    if unknown:  # metrics of versions no longer in force
        from agreements.models import MetricDefinition

        names.update(MetricDefinition.objects.filter(pk__in=unknown).values_list("pk", "name"))
    found: dict = {}
    uuids = _Uuids()
    for family, metric, start, *counts in grouped:
        family = uuids[family]
        key = (family, names[metric], start)
        before = found.get(key)  # several metric ids share a name only across versions
        found[key] = (
            tuple(counts)
            if before is None
            else tuple(a + b for a, b in zip(before, counts, strict=True))
        )
    return {
        r.pk: found[(r.family, r.metric_name, r.period_start)]
        for r, _t in rows
        if (r.family, r.metric_name, r.period_start) in found
    }


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


# ---------------------------------------------------------------------------
# Credits and escalations


def is_internal(agreement) -> bool:
    return agreement.kind == AgreementKind.OLA or agreement.customer.kind == CustomerKind.INTERNAL


def update_credits(terms: FamilyTerms, months, results: list[dict] | None = None) -> None:
    """Credit per month: breached metrics whose period ends in that month, under the version
    in force in the month (fee, currency, flat percent or tiers, cap). Internal: none.
    `results`: the family's result rows (family, metric_name, period_end, status) if read."""
    months = sorted(months)
    if results is None:
        ends = [period_end(m, "month") for m in months]
        results = list(
            ComplianceResult.objects.filter(family=terms.family, period_end__in=ends).values(
                "family", "metric_name", "period_end", "status"
            )
        )
    _store_credits(credit_rows(terms, months, results))


_CREDIT_COLUMNS = (
    ("tenant_id", "bigint"),
    ("family", "uuid"),
    ("period_start", "date"),
    ("agreement_id", "bigint"),
    ("breached_metrics", "smallint"),
    ("percent", "numeric"),
    ("amount", "numeric"),
    ("currency", "text"),
    ("cap_applied", "boolean"),
    ("how", "jsonb"),
    ("computed_at", "timestamptz"),
)


def _store_credits(rows: list[CreditRow]) -> None:
    """Upsert the credit rows in one INSERT ... SELECT FROM unnest ... ON CONFLICT."""
    if not rows:
        return
    columns = [
        [r.tenant_id for r in rows],
        [r.family for r in rows],
        [r.period_start for r in rows],
        [r.agreement_id for r in rows],
        [r.breached_metrics for r in rows],
        [r.percent for r in rows],
        [r.amount for r in rows],
        [r.currency for r in rows],
        [r.cap_applied for r in rows],
        [json.dumps(r.how) for r in rows],
        [r.computed_at for r in rows],
    ]
    names = ", ".join(n for n, _t in _CREDIT_COLUMNS)
    unnest = ", ".join(f"%s::{t}[]" for _n, t in _CREDIT_COLUMNS)
    updates = ", ".join(
        f"{n} = EXCLUDED.{n}"
        for n, _t in _CREDIT_COLUMNS
        if n not in ("tenant_id", "family", "period_start")
    )
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {CreditResult._meta.db_table} ({names})
            SELECT * FROM unnest({unnest})
            ON CONFLICT (tenant_id, family, period_start) DO UPDATE SET {updates}
            """,
            [array_literal(c) for c in columns],
        )


@dataclass(frozen=True, slots=True)
class CreditRow:
    """A CreditResult's column values, as _store_credits writes them (no model instance)."""

    tenant_id: int
    family: object
    period_start: dt.date
    agreement_id: int
    breached_metrics: int
    percent: Decimal
    amount: Decimal
    currency: str
    cap_applied: bool
    how: dict
    computed_at: dt.datetime


def credit_rows(terms: FamilyTerms, months, results: list[dict]) -> list[CreditRow]:
    out = []
    breached_by_end = defaultdict(list)  # one pass over the family's results
    for r in results:
        if r["family"] == terms.family and r["status"] == Status.BREACHED:
            breached_by_end[r["period_end"]].append(r["metric_name"])
    for month in months:
        end = period_end(month, "month")
        version = terms.version_for_period(month, end)
        if version is None:
            continue
        agreement = version.agreement
        breached = sorted(breached_by_end.get(end, ()))
        if is_internal(agreement):
            percent, capped, rule = Decimal(0), False, "internal agreement: no credits"
        else:
            percent, capped, rule = rules.credit_percent(
                len(breached),
                agreement.credit_percent,
                agreement.credit_tiers,
                agreement.credit_cap_percent,
            )
        how = {
            "rule": rule,
            "breached": breached,
            "monthly_fee": str(agreement.monthly_fee),
            "flat_percent": str(agreement.credit_percent),
            "tiers": agreement.credit_tiers,
            "cap_percent": str(agreement.credit_cap_percent),
            "percent": str(percent),
            "version": agreement.version,
        }
        out.append(
            CreditRow(
                tenant_id=agreement.tenant_id,
                family=terms.family,
                period_start=month,
                agreement_id=agreement.pk,
                breached_metrics=len(breached),
                percent=percent,
                amount=rules.money(agreement.monthly_fee, percent),
                currency=agreement.currency,
                cap_applied=capped,
                how=how,
                computed_at=timezone.now(),
            )
        )
    return out


def update_escalations(
    terms: FamilyTerms,
    metric_name: str,
    now=None,
    results: list[dict] | None = None,
    existing: set | None = None,
) -> list[ImprovementAction]:
    """N consecutive missed closed periods of one metric create one improvement action per
    run; a run is identified by its first period, so a recompute never creates another.
    `results`: the family's result rows if already read."""
    from ..periods import previous

    if results is None:
        rows = list(
            ComplianceResult.objects.filter(
                family=terms.family, metric_name=metric_name, is_open=False
            )
            .order_by("period_start")
            .values_list("period_start", "period_kind", "status", "period_end")
        )
    else:
        rows = sorted(
            (r["period_start"], r["period_kind"], r["status"], r["period_end"])
            for r in results
            if r["metric_name"] == metric_name and not r["is_open"]
        )
    created = []
    if not rows:
        return created
    # A missing period between two rows breaks a run.
    series, expected = [], None
    for start, kind, status, _end in rows:
        if expected is not None and start != expected:
            series.append((previous(start, kind), Status.NO_DATA))
        series.append((start, status))
        expected = period_end(start, kind)
    ends = {start: end for start, _k, _s, end in rows}
    for streak_start, periods in _streaks(terms, series):
        version = terms.version_for_period(periods[-1], ends[periods[-1]])
        if version is None:
            continue
        metric = next((m for m in version.metrics if m.name == metric_name), None)
        if metric is None:
            continue
        if existing is not None and (terms.family, metric_name, streak_start) in existing:
            continue  # created by an earlier run (read once for the batch)
        agreement = version.agreement
        action, was_created = ImprovementAction.objects.get_or_create(
            tenant_id=agreement.tenant_id,
            family=terms.family,
            metric_name=metric_name,
            streak_start=streak_start,
            defaults={
                "agreement": agreement,
                "metric": metric,
                "triggered_by": [p.isoformat() for p in periods],
                "owner": metric.provider_responsible or agreement.provider_contact_name,
                "due_date": ends[periods[-1]]
                + dt.timedelta(days=agreement.escalation_plan_due_days),
            },
        )
        if was_created:
            created.append(action)
    return created


def _streaks(terms: FamilyTerms, series):
    # The rule of the latest version decides how many in a row and whether warnings count.
    agreement = terms.versions[-1].agreement if terms.versions else None
    if agreement is None:
        return []
    return rules.escalation_streaks(
        series, agreement.escalation_consecutive_breaches, agreement.escalation_counts_warnings
    )


# ---------------------------------------------------------------------------
# Marking whole periods (nightly, command, new versions)


def mark_periods(
    tenant_id: int,
    families=None,
    periods: list[dt.date] | None = None,
    today: dt.date | None = None,
) -> int:
    """Mark stale every metric of these families (default: all) for the given months (default:
    the current and the previous period of each metric)."""
    from agreements.models import Agreement

    from .stale import upsert_stale

    today = today or timezone.localdate()
    if families is None:
        families = set(Agreement.objects.values_list("family", flat=True))
    terms = load_terms(families)
    keys = set()
    for family, t in terms.items():
        for name, kind in t.metric_names.items():
            if periods:
                starts = {period_start(p, kind) for p in periods}
            else:
                current = period_start(today, kind)
                from ..periods import previous

                starts = {current, previous(current, kind)}
            keys |= {(family, name, kind, s) for s in starts}
    return upsert_stale(tenant_id, keys, terms)


def results_by_family(rows) -> dict:
    out = defaultdict(list)
    for row in rows:
        out[row.family].append(row)
    return out
