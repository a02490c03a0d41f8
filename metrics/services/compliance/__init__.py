"""Compliance per metric and period from stored data, credits and escalations.

Results are recomputed only by the worker: rows are marked stale (services.stale), claimed
with SELECT ... FOR UPDATE SKIP LOCKED in committed batches, computed (time metrics: one
grouped query over the clocks of the batch) and written in one statement per batch (a
killed worker leaves its rows as they were, still stale, claimable again after
CLAIM_TIMEOUT). The status rules are metrics.compliance (pure). Here: claiming, the batch
and mark_periods; measures.py the other metric kinds; follow.py credits and escalations;
published.py the registry of published periods.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from agreements.choices import TIME_KINDS

from ...choices import Status
from ...models import ComplianceResult, ImprovementAction
from ...periods import bounds, period_start
from ..pgarrays import array_literal
from ..terms import FamilyTerms, load_terms
from .follow import (  # noqa: F401
    CreditRow,
    _store_credits,
    credit_rows,
    escalation_plan,
    is_internal,
    store_escalations,
    update_credits,
    update_escalations,
)
from .measures import Item, _time_metric, measure, measure_many, outage_exclusion  # noqa: F401
from .published import (  # noqa: F401
    _published_sources,
    published,
    published_ranges,
    register_published_source,
)

CLAIM_TIMEOUT = dt.timedelta(minutes=10)
BATCH = 5000


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
    credits, actions = [], []
    for family in families:
        credits += credit_rows(all_terms[family], sorted(months[family]), results[family])
        for name in names[family]:
            actions += escalation_plan(all_terms[family], name, results[family], existing)
    # One transaction for the follow-ups, a statement each for every family: the credits,
    # the new improvement actions, their audit events (a first aggregation creates hundreds).
    with transaction.atomic():
        _store_credits(credits)
        store_escalations(actions)
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
    measured = measure_many(
        [
            Item(
                row.pk,
                metric,
                version,
                t,
                row.period_start,
                *bounds(row.period_start, row.period_kind, t.tz),
            )
            for row, t, version, metric in plans
            if metric is not None and metric.kind not in TIME_KINDS
        ],
        now,
    )
    written = [
        compute_fields(row, t, version, metric, now, counts, measured)
        for row, t, version, metric in plans
    ]
    _write(written, claims)


def compute_fields(row, terms, version, metric, now, counts, measured=None) -> dict:
    """A row's fields; `counts` (time metrics) and `measured` (other kinds, by result id) as
    the batch computed them, a row missing there measured alone."""
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
        found = (measured or {}).get(row.pk)
        if found is None:
            found = measure(metric, version, terms, row.period_start, start_at, end_at, now)
        fields.update(found)
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

    from ..stale import upsert_stale

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
                from ...periods import previous

                starts = {current, previous(current, kind)}
            keys |= {(family, name, kind, s) for s in starts}
    return upsert_stale(tenant_id, keys, terms)


def results_by_family(rows) -> dict:
    out = defaultdict(list)
    for row in rows:
        out[row.family].append(row)
    return out
