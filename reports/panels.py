"""The reports app's panels on the Overview page (registered in ReportsConfig.ready()):

- operations (managers and admins): live tickets at risk, overdue survey follow-ups,
  agreements waiting for approval or expiring soon;
- portfolio (everyone, the executives' view): last month's headline figures and what needs
  attention (red agreements, credits owed, overdue improvement plans, falling satisfaction).

Each runs a fixed number of queries whatever the amount of data.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from agreements.choices import AgreementStatus
from agreements.models import Agreement
from metrics import warnings
from metrics.models import ImprovementAction
from slaweb.tenancy.models import Role
from surveys.choices import FollowUpStatus
from surveys.models import FollowUp

from .selectors.portfolio import default_range, portfolio, today_of
from .views.portfolio import report_url

EXPIRING_DAYS = 90
SHOWN = 5  # items of a list in a panel; the rest is behind the "all" link


def _member(request):
    return getattr(request, "membership", None) if getattr(request, "tenant", None) else None


def operations_panel(request):
    membership = _member(request)
    if membership is None or not membership.has_role(Role.MANAGER):
        return None
    tenant, now = request.tenant, timezone.now()
    today = today_of(tenant)
    at_risk = warnings.candidates(now)  # the at-risk board's list
    clocks = at_risk.aggregate(
        total=Count("pk"),
        past_target=Count("pk", filter=Q(due_target_at__lte=now)),
        past_minimum=Count("pk", filter=Q(due_minimum_at__lte=now)),
    )
    soonest = list(at_risk[:SHOWN])
    follow_ups = FollowUp.objects.filter(tenant=tenant, status=FollowUpStatus.OPEN).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
    )
    agreements = Agreement.objects.filter(tenant=tenant).aggregate(
        in_review=Count("pk", filter=Q(status=AgreementStatus.IN_REVIEW)),
        expiring=Count(
            "pk",
            filter=Q(
                status=AgreementStatus.ACTIVE,
                effective_to__gte=today,
                effective_to__lte=today + dt.timedelta(days=EXPIRING_DAYS),
            ),
        ),
    )
    context = {
        "clocks": clocks,
        "soonest": soonest,
        "follow_ups": follow_ups,
        "agreements": agreements,
        "expiring_days": EXPIRING_DAYS,
        "now": now,
        "time_zone": tenant.time_zone or "UTC",
    }
    return [("reports/panels/operations.html", context)]


def portfolio_panel(request):
    membership = _member(request)
    if membership is None:
        return None
    tenant = request.tenant
    today = today_of(tenant)
    first, last = default_range(tenant, "month", today, count=2)
    grid = portfolio(tenant, kind="month", first=first, last=last, today=today)
    latest = grid.latest
    for row in grid.rows:
        row.latest.url = report_url(tenant.slug, row.family, row.latest.period)
    red = [r for r in grid.rows if r.latest.health == "red"]
    owing = [r for r in grid.rows if r.latest.credits]
    falling = grid.movers["satisfaction"]
    overdue_plans = ImprovementAction.objects.filter(
        ImprovementAction.overdue_on(today), tenant=tenant
    ).count()
    context = {
        "grid": grid,
        "latest": latest,
        "red": red[:SHOWN],
        "red_more": max(0, len(red) - SHOWN),
        "owing": owing[:SHOWN],
        "owing_more": max(0, len(owing) - SHOWN),
        "falling": falling,
        "overdue_plans": overdue_plans,
        "attention": bool(red or owing or falling or overdue_plans),
    }
    return [("reports/panels/portfolio.html", context)]
