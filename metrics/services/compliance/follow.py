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
    `results`: the family's result rows if already read."""
    from ...periods import previous

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
