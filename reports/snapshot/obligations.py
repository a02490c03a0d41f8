"""Improvement actions, open follow-ups of low scores and service credits of the period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from metrics.models import CreditResult, ImprovementAction
from metrics.periods import agreement_time_zone

from .common import exact, iso

LIST_SHOWN = 50


def _action(a: ImprovementAction, end: dt.date) -> dict:
    return {
        "id": a.pk,
        "metric": a.metric_name,
        "streak_start": a.streak_start.isoformat(),
        "triggered_by": a.triggered_by,
        "owner": a.owner,
        "due_date": a.due_date.isoformat(),
        "status": a.status,
        "overdue": a.is_overdue_on(end),
    }


def actions(version, start, end) -> dict:
    """Open (created before the period's end, not done), overdue (open and due before the
    period's end) and closed this period (done or verified, last changed in the period)."""
    rows = list(
        ImprovementAction.objects.filter(family=version.family, streak_start__lt=end).order_by(
            "due_date", "id"
        )
    )
    still_open = ImprovementAction.STILL_OPEN
    zone = ZoneInfo(agreement_time_zone(version))  # the same on a page and in the dispatcher
    open_ = [a for a in rows if a.status in still_open]
    closed = [
        a
        for a in rows
        if a.status not in still_open and start <= timezone.localdate(a.updated_at, zone) < end
    ]
    return {
        "open": [_action(a, end) for a in open_[:LIST_SHOWN]],
        "overdue": [_action(a, end) for a in open_ if a.is_overdue_on(end)][:LIST_SHOWN],
        "closed": [_action(a, end) for a in closed[:LIST_SHOWN]],
        "open_total": len(open_),
    }


def follow_ups(version, end_at, now) -> dict:
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
                "due_at": iso(f.due_at),
                "overdue": f.due_at < moment,
            }
            for f in listed
        ],
        "open_total": rows.count(),
        "overdue": overdue,
    }


def credits(version, period_kind, start, end) -> dict:
    rows = list(
        CreditResult.objects.filter(
            family=version.family, period_start__gte=start, period_start__lt=end
        ).order_by("period_start")
    )
    amount = sum((r.amount for r in rows), Decimal("0.00"))
    months = [
        {
            "start": r.period_start.isoformat(),
            "percent": exact(r.percent),
            "amount": f"{r.amount:.2f}",
            "breached_metrics": r.breached_metrics,
            "cap_applied": r.cap_applied,
            "how": r.how,
        }
        for r in rows
    ]
    single = rows[0] if len(rows) == 1 else None
    return {
        "percent": exact(single.percent) if single else None,
        "amount": f"{amount:.2f}",
        "currency": rows[-1].currency if rows else version.currency,
        "cap_percent": exact(version.credit_cap_percent),
        "cap_applied": any(r.cap_applied for r in rows),
        "breached_metrics": sum(r.breached_metrics for r in rows),
        "how": single.how if single else None,
        "months": months,
        "internal": bool(rows)
        and all((r.how or {}).get("rule", "").startswith("internal") for r in rows),
    }
