"""Tenant-scoped reads of the metrics domain (a constant number of queries per list)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from . import compliance as rules
from .choices import RUNNING_STATES, Status
from .models import (
    ClockRecompute,
    ComplianceResult,
    CreditResult,
    Delivery,
    ImprovementAction,
    Outage,
    Sample,
    Ticket,
    TicketClock,
)

RECOMPUTE_SHOWN_DONE = dt.timedelta(minutes=15)
RECOMPUTE_SHOWN_FAILED = dt.timedelta(days=7)


def recent_recomputes(now: dt.datetime, limit: int = 5) -> list[ClockRecompute]:
    """Clock recomputes worth a banner, unfinished ones first: unfinished, failed in the last
    week, and done within a quarter of an hour having recomputed something."""
    shown = (
        Q(status__in=[ClockRecompute.Status.QUEUED, ClockRecompute.Status.RUNNING])
        | Q(status=ClockRecompute.Status.FAILED, finished_at__gte=now - RECOMPUTE_SHOWN_FAILED)
        | Q(
            status=ClockRecompute.Status.DONE,
            finished_at__gte=now - RECOMPUTE_SHOWN_DONE,
            total__gt=0,
        )
    )
    unfinished_first = F("finished_at").desc(nulls_first=True)
    return list(ClockRecompute.objects.filter(shown).order_by(unfinished_first, "-id")[:limit])


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
    latest monthly period with data of each family (the agreement list): one query. A month
    whose results are all "no data" (a new month, or records not yet in) is skipped; a family
    without any data has no entry (the cell says "no data")."""
    from django.db.models import Count, Max, OuterRef, Q, Subquery

    latest = (
        ComplianceResult.objects.filter(family=OuterRef("family"), period_kind="month")
        .exclude(status=Status.NO_DATA)
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


def records_behind(
    family, metric, period_starts, start_at: dt.datetime, end_at: dt.datetime, *, missed=False
) -> tuple[str, QuerySet | None]:
    """The records behind a metric's result over [start_at, end_at) (the metric's periods
    starting on `period_starts`), as compliance counts them: the drill-down page and the
    reports read this. Returns (kind, queryset): clock | ticket | delivery | sample, or
    ("outage", None) since outages are listed in the result's details.
    `missed`: only the records that count against the metric."""
    from django.db.models import F, Q

    from agreements.choices import TIME_KINDS, MetricKind

    from .choices import ClockState

    kind = metric.kind
    if kind in TIME_KINDS:
        rows = (
            TicketClock.objects.filter(
                family=family, metric__name=metric.name, period_start__in=list(period_starts)
            )
            .select_related("ticket")
            .order_by(F("elapsed").desc(nulls_last=True), "due_target_at", "pk")
        )
        if missed:
            rows = rows.filter(
                Q(state__in=(ClockState.WITHIN_MINIMUM, ClockState.MISSED))
                | Q(stopped_at__isnull=True, due_minimum_at__lt=end_at)
            )
        return "clock", rows
    if kind in (MetricKind.FIRST_CONTACT_RESOLUTION_RATE, MetricKind.RECURRENCE_COUNT):
        fcr = kind == MetricKind.FIRST_CONTACT_RESOLUTION_RATE
        column = "resolved_at" if fcr else "opened_at"
        rows = Ticket.objects.filter(
            family=family, **{f"{column}__gte": start_at, f"{column}__lt": end_at}
        )
        rows = rows.filter(first_contact_resolved=False) if fcr else rows.exclude(recurrence_of="")
        return "ticket", rows.order_by(column, "pk")
    if kind in (MetricKind.AVAILABILITY_PERCENT, MetricKind.DOWNTIME_MINUTES):
        return "outage", None
    if kind in (MetricKind.ON_TIME_DELIVERY_RATE, MetricKind.ACCURACY):
        rows = Delivery.objects.filter(family=family, due_at__gte=start_at, due_at__lt=end_at)
        if missed and kind == MetricKind.ON_TIME_DELIVERY_RATE:
            rows = rows.filter(
                Q(delivered_at__isnull=True, due_at__lt=end_at) | Q(delivered_at__gt=F("due_at"))
            )
        elif missed:
            rows = rows.filter(error_free=False)
        return "delivery", rows.order_by("due_at", "pk")
    starts = list(period_starts)
    rows = Sample.objects.filter(family=family, metric_name=metric.name).filter(
        Q(period_start__in=starts)
        | Q(period_start__isnull=True, measured_at__gte=start_at, measured_at__lt=end_at)
    )
    return "sample", rows.order_by("period_start", "measured_at", "pk")
