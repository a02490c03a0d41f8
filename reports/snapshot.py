"""The report of one agreement family and period as one JSON-serialisable dict (decision 010).

`build` reads what the workers computed (ComplianceResult, CreditResult, ImprovementAction,
ticket clocks) and the survey figures, in a bounded number of queries (about 20 plus two per
missed metric, whatever the number of records). Numbers, ids, names and codes only: no
translated text. Decimals are strings, instants ISO 8601 in UTC, dates ISO.

Periods of a metric and of the report may differ. A metric measured over a period at least
as long as the report's shows the result of its period containing the report period; a
metric measured over shorter periods (monthly metric in a quarterly report) shows the
periods inside combined: counts summed, rate = within target / all, value = the mean of
the periods' values (rate metrics) or the rate (time metrics), status = the worst.
A metric's history steps by the longer of the two period kinds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from agreements.choices import TIME_KINDS, MeasurementPeriod, MetricKind
from agreements.models import Agreement, MetricDefinition
from agreements.selectors import IN_FORCE_STATUSES
from metrics import compliance as rules
from metrics.choices import ActionStatus, Status
from metrics.models import ComplianceResult, CreditResult, ImprovementAction, Ticket
from metrics.periods import MONTHS, agreement_time_zone, bounds, period_end, previous
from metrics.selectors import records_behind

from . import analysis

SCHEMA = 1
HISTORY = 12
RECORDS_SHOWN = 20
UNRESOLVED_SHOWN = 50
LIST_SHOWN = 50

_WORST = [Status.BREACHED, Status.WARNING, Status.MET, Status.NO_DATA]


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


def _s(value) -> str | None:
    """Decimals (and numbers) as exact strings without trailing zeros; None stays None."""
    if value is None:
        return None
    value = Decimal(str(value))
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _iso(instant: dt.datetime | None) -> str | None:
    return instant.astimezone(dt.UTC).isoformat() if instant else None


def _longer(a: str, b: str) -> str:
    return a if MONTHS[a] >= MONTHS[b] else b


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


def _history_starts(start: dt.date, kind: str) -> list[dt.date]:
    starts = [start]
    for _ in range(HISTORY - 1):
        starts.append(previous(starts[-1], kind))
    return starts[::-1]


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


def build(agreement: Agreement, period_kind: str, period_start: dt.date, *, now=None) -> dict:
    if period_kind not in MeasurementPeriod.values:
        raise ValueError(f"unknown period kind: {period_kind!r}")
    now = now or timezone.now()
    start = period_start
    end = period_end(start, period_kind)
    version = version_in_force(agreement, start, end)
    tz = agreement_time_zone(version)
    start_at, end_at = bounds(start, period_kind, tz)
    metrics = list(version.metrics.order_by("order", "id"))

    # Every result of the family back to the start of the oldest history period needed.
    step_kinds = {_longer(period_kind, m.period) for m in metrics}
    oldest = min([_history_starts(_period_start(start, k), k)[0] for k in step_kinds] or [start])
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
    metric_items, current = [], {}
    for m in metrics:
        step = _longer(period_kind, m.period)
        history_starts = _history_starts(_period_start(start, step), step)
        history = []
        for h_start in history_starts:
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
            change = _s(Decimal(cur["value"]) - Decimal(prev["value"]))
        metric_items.append(
            {
                "id": m.pk,
                "name": m.name,
                "kind": m.kind,
                "unit": m.unit,
                "direction": "lower" if m.lower_is_better else "higher",
                "period_kind": m.period,
                "target": _s(m.target),
                "minimum": _s(m.minimum_acceptable),
                "goal": _s(m.attainment_goal_percent) if m.kind in TIME_KINDS else None,
                "value": _s(cur["value"]),
                "compliance_rate": _s(cur["compliance_rate"]),
                "count_all": cur["count_all"],
                "count_within_target": cur["count_within_target"],
                "count_within_minimum": cur["count_within_minimum"],
                "status": cur["status"],
                "is_open": cur["is_open"],
                "previous": None
                if prev is None
                else {
                    "value": _s(prev["value"]),
                    "compliance_rate": _s(prev["compliance_rate"]),
                    "status": prev["status"],
                },
                "change": change,
                "history": [
                    {
                        "start": h.isoformat(),
                        "value": _s(c["value"]),
                        "compliance_rate": _s(c["compliance_rate"]),
                        "status": c["status"],
                    }
                    for h, c in history
                ],
                "breach_streak": streak,
                "exclusions": cur["exclusions"],
            }
        )

    statuses = [item["status"] for item in metric_items]
    satisfaction = _satisfaction(version, period_kind, start, end)
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
        "generated_at": _iso(now),
        "health": health_of(statuses),
        "counts": {
            "metrics": len(statuses),
            "met": statuses.count(Status.MET),
            "warning": statuses.count(Status.WARNING),
            "breached": statuses.count(Status.BREACHED),
            "no_data": statuses.count(Status.NO_DATA),
        },
        "metrics": metric_items,
        "breaches": _breaches(version, current, start_at, end_at, tz),
        "tickets": _tickets(version, start_at, end_at),
        "satisfaction": satisfaction,
        "analysis": _analysis(version, metric_items, satisfaction, period_kind),
        "actions": _actions(version, start, end),
        "follow_ups": _follow_ups(version, end_at, now),
        "credits": _credits(version, period_kind, start, end),
    }


def _period_start(day: dt.date, kind: str) -> dt.date:
    from metrics.periods import period_start

    return period_start(day, kind)


# ---------------------------------------------------------------------------
# Breaches and the records behind them


def _cause(metric: MetricDefinition, c: dict) -> dict:
    if metric.kind in TIME_KINDS:
        return {
            "code": "late_records",
            "count_all": c["count_all"],
            "missed_target": c["count_all"] - c["count_within_target"],
            "missed_minimum": c["count_all"] - c["count_within_minimum"],
            "running_overdue": c.get("running_overdue", 0),
            "goal": _s(metric.attainment_goal_percent),
        }
    return {
        "code": "value_missed",
        "value": _s(c["value"]),
        "target": _s(metric.target),
        "minimum": _s(metric.minimum_acceptable),
        "direction": "lower" if metric.lower_is_better else "higher",
        "count_all": c["count_all"],
    }


def _breaches(version, current: dict, start_at, end_at, tz) -> list[dict]:
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
                    "opened_at": _iso(clock.ticket.opened_at),
                    "state": clock.state,
                    "due_target_at": _iso(clock.due_target_at),
                    "stopped_at": _iso(clock.stopped_at),
                    "elapsed_minutes": None
                    if clock.elapsed is None
                    else _s(Decimal(clock.elapsed.total_seconds() / 60).quantize(Decimal("0.01"))),
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
                    "opened_at": _iso(t.opened_at),
                    "resolved_at": _iso(t.resolved_at),
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
                    "due_at": _iso(d.due_at),
                    "delivered_at": _iso(d.delivered_at),
                    "error_free": d.error_free,
                }
                for d in shown
            ],
            total,
        )
    return kind, [], total


# ---------------------------------------------------------------------------
# Tickets


def _tickets(version, start_at, end_at) -> dict:
    tickets = Ticket.objects.filter(family=version.family)
    groups = (
        tickets.filter(opened_at__gte=start_at, opened_at__lt=end_at)
        .values("tier_code", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_tier, by_kind = defaultdict(int), defaultdict(int)
    for g in groups:
        by_tier[g["tier_code"]] += g["n"]
        by_kind[g["kind"]] += g["n"]
    unresolved = tickets.filter(opened_at__lt=end_at).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=end_at)
    )
    figures = tickets.aggregate(
        resolved=Count("pk", filter=Q(resolved_at__gte=start_at, resolved_at__lt=end_at)),
        unresolved=Count(
            "pk",
            filter=Q(opened_at__lt=end_at)
            & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end_at)),
        ),
    )
    return {
        "total": sum(by_tier.values()),
        "resolved": figures["resolved"],
        "by_tier": [{"tier": k, "count": by_tier[k]} for k in sorted(by_tier)],
        "by_kind": [{"kind": k, "count": by_kind[k]} for k in sorted(by_kind)],
        "unresolved": [
            {
                "external_id": t.external_id,
                "tier": t.tier_code,
                "kind": t.kind,
                "category": t.category,
                "opened_at": _iso(t.opened_at),
            }
            for t in unresolved.order_by("opened_at", "external_id")[:UNRESOLVED_SHOWN]
        ],
        "unresolved_total": figures["unresolved"],
    }


# ---------------------------------------------------------------------------
# Satisfaction


def _fig(figure) -> dict:
    return {"mean": None if figure.withheld else _s(figure.value), "n": figure.n}


def _satisfaction(version, period_kind, start, end) -> dict:
    from surveys import results as survey_results

    res = survey_results.for_agreement(version, start, end - dt.timedelta(days=1))
    trend, distribution = _satisfaction_trend(version, period_kind, start)
    rated = sum(distribution)
    withheld = res.overall.withheld
    csat = None
    if rated and not withheld:
        csat = _s(rules.rate(distribution[3] + distribution[4], rated).quantize(Decimal("0.01")))
    return {
        "available": res.invited > 0 or res.answered > 0,
        "invited": res.invited,
        "answered": res.answered,
        "response_rate": _s(res.rate_invited),
        "min_n": res.min_n,
        "anonymous": res.anonymous,
        "withheld": withheld,
        "basis": res.overall_basis,
        "overall": _fig(res.overall),
        "csat": {"value": csat, "n": rated},
        "dimensions": [
            {
                "code": d["code"],
                "name": d["name_en"],
                "name_zh": d["name_zh"],
                **_fig(d["mean"]),
            }
            for d in res.dimensions
        ],
        "distribution": {str(i + 1): n for i, n in enumerate(distribution)},
        "terms": [{"term": t, "count": n} for t, n in res.top_terms],
        "trend": trend,
    }


def _satisfaction_trend(version, period_kind, start) -> tuple[list[dict], list[int]]:
    """Overall satisfaction per period, oldest first, over the last HISTORY periods, and the
    1-5 distribution of the last one: one grouped query (the overall question where the
    period's questionnaires have one, else all ratings, as surveys.results does)."""
    from django.db.models import Avg, Max

    from surveys.choices import QuestionKind
    from surveys.models import Answer, Campaign

    starts = _history_starts(start, period_kind)
    first, last = starts[0], period_end(starts[-1], period_kind)
    ratings = Answer.objects.filter(
        response__round__campaign__agreement__family=version.family,
        response__round__period_start__gte=first,
        response__round__period_start__lt=last,
        question__kind=QuestionKind.LIKERT,
        score__isnull=False,
    )
    rows = list(
        ratings.values("response__round__period_start", "question__is_overall")
        .annotate(
            total=Count("pk"),
            mean=Avg("score"),
            **{f"p{k}": Count("pk", filter=Q(score=k)) for k in range(1, 6)},
        )
        .order_by()
    )
    flags = Campaign.objects.filter(agreement__family=version.family).aggregate(
        anonymous=Count("pk", filter=Q(anonymous=True)), min_n=Max("min_n")
    )
    anonymous, min_n = bool(flags["anonymous"]), flags["min_n"] or 0
    buckets = {
        s: {"overall": [0, Decimal(0), [0] * 5], "all": [0, Decimal(0), [0] * 5]} for s in starts
    }
    for r in rows:
        day = _period_start(r["response__round__period_start"], period_kind)
        if day not in buckets:
            continue
        weighted = Decimal(str(r["mean"])) * r["total"]
        for key in ("overall", "all") if r["question__is_overall"] else ("all",):
            bucket = buckets[day][key]
            bucket[0] += r["total"]
            bucket[1] += weighted
            bucket[2] = [bucket[2][k - 1] + r[f"p{k}"] for k in range(1, 6)]
    out, distribution = [], [0] * 5
    for s in starts:
        n, total, dist = buckets[s]["overall"] if buckets[s]["overall"][0] else buckets[s]["all"]
        mean = None
        if n and not (anonymous and n < min_n):
            mean = _s((total / n).quantize(Decimal("0.01"), ROUND_HALF_UP))
            distribution = dist
        else:
            distribution = [0] * 5
        out.append({"start": s.isoformat(), "mean": mean, "n": n})
    return out, distribution


# ---------------------------------------------------------------------------
# Analysis


def _analysis(version, metric_items, satisfaction, period_kind) -> dict:
    by_start = {t["start"]: t["mean"] for t in satisfaction["trend"]}
    correlations = []
    for m in metric_items:
        if m["kind"] == MetricKind.SATISFACTION_SCORE:
            continue  # satisfaction against itself says nothing
        xs, ys = [], []
        for h in m["history"]:
            x = h["compliance_rate"] if h["compliance_rate"] is not None else h["value"]
            y = by_start.get(h["start"])
            if x is not None and y is not None:
                xs.append(Decimal(x))
                ys.append(Decimal(y))
        result = analysis.correlation(xs, ys)
        correlations.append(
            {
                "metric": m["name"],
                "measure": "compliance_rate" if m["compliance_rate"] is not None else "value",
                **result,
                **analysis.reading(result["rho"], result["enough"]),
            }
        )
    # The hint runs on the report's own periods: metrics stepping with the report.
    periods = []
    for i, t in enumerate(satisfaction["trend"]):
        periods.append(
            {
                "satisfaction": t["mean"],
                "metrics": [
                    m["history"][i]
                    for m in metric_items
                    if len(m["history"]) == len(satisfaction["trend"])
                    and m["history"][i]["start"] == t["start"]
                ],
            }
        )
    hint = analysis.revision_hint(
        periods,
        {m["name"]: m["breach_streak"] for m in metric_items},
        version.escalation_consecutive_breaches,
    )
    return {"correlations": correlations, "min_n": analysis.MIN_N, "hint": hint}


# ---------------------------------------------------------------------------
# Improvement actions, follow-ups, credits


def _action(a: ImprovementAction, end: dt.date) -> dict:
    return {
        "id": a.pk,
        "metric": a.metric_name,
        "streak_start": a.streak_start.isoformat(),
        "triggered_by": a.triggered_by,
        "owner": a.owner,
        "due_date": a.due_date.isoformat(),
        "status": a.status,
        "overdue": a.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) and a.due_date < end,
    }


def _actions(version, start, end) -> dict:
    """Open (created before the period's end, not done), overdue (open and due before the
    period's end) and closed this period (done or verified, last changed in the period)."""
    rows = list(
        ImprovementAction.objects.filter(family=version.family, streak_start__lt=end).order_by(
            "due_date", "id"
        )
    )
    still_open = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
    open_ = [a for a in rows if a.status in still_open]
    closed = [
        a
        for a in rows
        if a.status not in still_open and start <= timezone.localdate(a.updated_at) < end
    ]
    return {
        "open": [_action(a, end) for a in open_[:LIST_SHOWN]],
        "overdue": [_action(a, end) for a in open_ if a.due_date < end][:LIST_SHOWN],
        "closed": [_action(a, end) for a in closed[:LIST_SHOWN]],
        "open_total": len(open_),
    }


def _follow_ups(version, end_at, now) -> dict:
    """Follow-ups of low scores still open (at the period's end, or now for a running one)."""
    from surveys.choices import FollowUpStatus
    from surveys.models import FollowUp

    moment = min(end_at, now)
    rows = (
        FollowUp.objects.filter(agreement__family=version.family, created_at__lt=end_at)
        .filter(Q(status=FollowUpStatus.OPEN) | Q(closed_at__gte=end_at))
        .select_related("contact")
        .order_by("due_at", "id")
    )
    listed = list(rows[:LIST_SHOWN])
    overdue = rows.filter(due_at__lt=moment).count()
    return {
        "open": [
            {
                "id": f.pk,
                "contact": f.contact.name if f.contact_id else None,
                "lowest_score": f.lowest_score,
                "due_at": _iso(f.due_at),
                "overdue": f.due_at < moment,
            }
            for f in listed
        ],
        "open_total": rows.count(),
        "overdue": overdue,
    }


def _credits(version, period_kind, start, end) -> dict:
    rows = list(
        CreditResult.objects.filter(
            family=version.family, period_start__gte=start, period_start__lt=end
        ).order_by("period_start")
    )
    amount = sum((r.amount for r in rows), Decimal("0.00"))
    months = [
        {
            "start": r.period_start.isoformat(),
            "percent": _s(r.percent),
            "amount": f"{r.amount:.2f}",
            "breached_metrics": r.breached_metrics,
            "cap_applied": r.cap_applied,
            "how": r.how,
        }
        for r in rows
    ]
    single = rows[0] if len(rows) == 1 else None
    return {
        "percent": _s(single.percent) if single else None,
        "amount": f"{amount:.2f}",
        "currency": rows[-1].currency if rows else version.currency,
        "cap_percent": _s(version.credit_cap_percent),
        "cap_applied": any(r.cap_applied for r in rows),
        "breached_metrics": sum(r.breached_metrics for r in rows),
        "how": single.how if single else None,
        "months": months,
        "internal": bool(rows)
        and all((r.how or {}).get("rule", "").startswith("internal") for r in rows),
    }


__all__ = ["build", "health_of", "version_in_force", "SCHEMA"]
