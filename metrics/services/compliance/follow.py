"""Credits and escalations, computed from the written results of a run."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from agreements.choices import AgreementKind, CustomerKind
from slaweb.tenancy import audit

from ... import compliance as rules
from ...choices import Status
from ...models import ComplianceResult, CreditResult, ImprovementAction
from ...periods import period_end
from ..pgarrays import array_literal
from ..terms import FamilyTerms

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
    `results`: the family's result rows if already read. Returns the actions created."""
    if results is None:
        results = [
            {"metric_name": metric_name, "is_open": False, **row}
            for row in ComplianceResult.objects.filter(
                family=terms.family, metric_name=metric_name, is_open=False
            ).values("period_start", "period_kind", "status", "period_end")
        ]
    return store_escalations(escalation_plan(terms, metric_name, results, existing))


def escalation_plan(
    terms: FamilyTerms, metric_name: str, results: list[dict], existing: set | None = None
) -> list[ImprovementAction]:
    """The improvement actions the runs of missed periods of one metric call for (unsaved),
    without those in `existing` ((family, metric name, streak start) read for the batch)."""
    from ...periods import previous

    rows = sorted(
        (r["period_start"], r["period_kind"], r["status"], r["period_end"])
        for r in results
        if r["metric_name"] == metric_name and not r["is_open"]
    )
    planned = []
    if not rows:
        return planned
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
        planned.append(
            ImprovementAction(
                tenant_id=agreement.tenant_id,
                family=terms.family,
                metric_name=metric_name,
                streak_start=streak_start,
                agreement=agreement,
                metric=metric,
                triggered_by=[p.isoformat() for p in periods],
                owner=metric.provider_responsible or agreement.provider_contact_name,
                due_date=ends[periods[-1]] + dt.timedelta(days=agreement.escalation_plan_due_days),
            )
        )
    return planned


_ACTION_COLUMNS = (
    ("tenant_id", "bigint"),
    ("family", "uuid"),
    ("agreement_id", "bigint"),
    ("metric_id", "bigint"),
    ("metric_name", "text"),
    ("streak_start", "date"),
    ("triggered_by", "jsonb"),
    ("owner", "text"),
    ("due_date", "date"),
    ("status", "text"),
    ("notes", "text"),
    ("verification", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def store_escalations(planned: list[ImprovementAction]) -> list[ImprovementAction]:
    """Insert the planned actions in one statement; one that exists already (unique by
    tenant, family, metric name and streak start: an earlier run, or a concurrent worker)
    is left alone. The created ones get their audit events, with the content a save writes,
    in one more statement. Returns the created actions."""
    if not planned:
        return []
    at = timezone.now()
    for action in planned:
        action.created_at = action.updated_at = at
    columns = [
        [json.dumps(a.triggered_by) if n == "triggered_by" else getattr(a, n) for a in planned]
        for n, _t in _ACTION_COLUMNS
    ]
    names = ", ".join(n for n, _t in _ACTION_COLUMNS)
    unnest = ", ".join(f"%s::{t}[]" for _n, t in _ACTION_COLUMNS)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {ImprovementAction._meta.db_table} ({names})
            SELECT * FROM unnest({unnest})
            ON CONFLICT (tenant_id, family, metric_name, streak_start) DO NOTHING
            RETURNING id, tenant_id, family::text, metric_name, streak_start
            """,
            [array_literal(c) for c in columns],
        )
        ids = {(t, f, n, s): pk for pk, t, f, n, s in cur.fetchall()}
        created = []
        for action in planned:
            pk = ids.get(
                (action.tenant_id, str(action.family), action.metric_name, action.streak_start)
            )
            if pk is not None:
                action.pk = pk
                action._state.adding = False
                created.append(action)
        audit.record_created(created)
    return created


def _streaks(terms: FamilyTerms, series):
    # The rule of the latest version decides how many in a row and whether warnings count.
    agreement = terms.versions[-1].agreement if terms.versions else None
    if agreement is None:
        return []
    return rules.escalation_streaks(
        series, agreement.escalation_consecutive_breaches, agreement.escalation_counts_warnings
    )
