"""Tenant-scoped reads of the metrics domain (a constant number of queries per list)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from . import compliance as rules
from .choices import RUNNING_STATES, Status
from .models import (
    ComplianceResult,
    CreditResult,
    Delivery,
    ImprovementAction,
    Outage,
    Sample,
    Ticket,
    TicketClock,
)


def tickets() -> QuerySet[Ticket]:
    return Ticket.objects.all()


def deliveries() -> QuerySet[Delivery]:
    return Delivery.objects.all()


def outages() -> QuerySet[Outage]:
    return Outage.objects.all()


def samples() -> QuerySet[Sample]:
    return Sample.objects.all()


def clocks() -> QuerySet[TicketClock]:
    return TicketClock.objects.select_related("ticket", "metric")


def results() -> QuerySet[ComplianceResult]:
    return ComplianceResult.objects.select_related("metric", "agreement")


def credits() -> QuerySet[CreditResult]:
    return CreditResult.objects.select_related("agreement")


def actions() -> QuerySet[ImprovementAction]:
    return ImprovementAction.objects.select_related("agreement", "metric")


def running_clocks_due_before(instant: dt.datetime) -> QuerySet[TicketClock]:
    """Running clocks whose minimum due time is before `instant` (the at-risk board and the
    warnings job): one scan of the partial index on due_minimum_at."""
    return (
        clocks()
        .filter(state__in=RUNNING_STATES, due_minimum_at__lte=instant)
        .order_by("due_minimum_at")
    )


@dataclass(frozen=True)
class ErrorBudget:
    result: ComplianceResult
    misses_allowed: int | None  # more tickets that may miss the target and still be met
    running: int  # clocks counting in the period not yet stopped (and not yet overdue)
    projected_status: str


def error_budget(result: ComplianceResult, now: dt.datetime | None = None) -> ErrorBudget | None:
    """For a running period of a time metric: how many more tickets may miss before the
    status drops below met, and the projected end status at the current pace (the running
    clocks of the period finish in the same proportions as the counted ones)."""
    if result.metric.kind not in ("response_time", "resolution_time"):
        return None
    now = now or timezone.now()
    counts = rules.TimeCounts(
        result.count_all, result.count_within_target, result.count_within_minimum
    )
    running = TicketClock.objects.filter(
        family=result.family,
        metric__name=result.metric_name,
        period_start=result.period_start,
        state__in=RUNNING_STATES,
        due_minimum_at__gt=now,
    ).count()
    goal = result.metric.attainment_goal_percent
    if counts.all:
        scale = (counts.all + running) / counts.all
        projected = rules.TimeCounts(
            counts.all + running,
            min(counts.all + running, round(counts.within_target * scale)),
            min(counts.all + running, round(counts.within_minimum * scale)),
        )
        projected_status = rules.time_status(projected, goal)
    else:
        projected_status = Status.NO_DATA
    return ErrorBudget(result, rules.misses_allowed(counts, goal), running, projected_status)


def latest_period_health(families) -> dict:
    """{family: {"period": date, "met": n, "warning": n, "breached": n, "no_data": n}} for the
    latest monthly period with results of each family (the agreement list): one query."""
    from django.db.models import Count, Max, OuterRef, Q, Subquery

    latest = (
        ComplianceResult.objects.filter(family=OuterRef("family"), period_kind="month")
        .order_by()
        .values("family")
        .annotate(last=Max("period_start"))
        .values("last")
    )
    rows = (
        ComplianceResult.objects.filter(family__in=list(families), period_kind="month")
        .filter(period_start=Subquery(latest))
        .values("family", "period_start")
        .annotate(**{s: Count("id", filter=Q(status=s)) for s in Status.values})
    )
    return {
        row["family"]: {"period": row["period_start"], **{s: row[s] for s in Status.values}}
        for row in rows
    }
