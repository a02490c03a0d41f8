"""Reads of published reports (pages, API and the metrics hook share them)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet

from ..models import Report


def reports() -> QuerySet[Report]:
    return Report.objects.select_related("agreement", "published_by")


def revisions(family, period_kind: str, period_start: dt.date) -> QuerySet[Report]:
    """Every revision of one family and period, newest first."""
    return (
        reports()
        .filter(family=family, period_kind=period_kind, period_start=period_start)
        .order_by("-revision")
    )


def latest(family, period_kind: str, period_start: dt.date) -> Report | None:
    return revisions(family, period_kind, period_start).first()


def revision(family, period_kind: str, period_start: dt.date, number: int) -> Report | None:
    return revisions(family, period_kind, period_start).filter(revision=number).first()


def published_periods(family=None, period_kind: str | None = None) -> QuerySet:
    """One row per published (family, period): its latest revision number and when it was
    last published, newest period first (the list pages and the portfolio)."""
    rows = Report.objects.all()
    if family is not None:
        rows = rows.filter(family=family)
    if period_kind is not None:
        rows = rows.filter(period_kind=period_kind)
    return (
        rows.values("family", "period_kind", "period_start", "period_end")
        .annotate(revisions=Max("revision"), last_published_at=Max("published_at"))
        .order_by("-period_start", "family", "period_kind")
    )


def published_ranges(families) -> list[tuple]:
    """(family, start, end exclusive) of every published period of these families, in one
    query: the source registered into metrics.services.compliance (published())."""
    return list(
        Report.objects.filter(family__in=list(families))
        .values_list("family", "period_start", "period_end")
        .distinct()
    )
