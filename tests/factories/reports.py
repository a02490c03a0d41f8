"""Factories of the reports app (a published report's snapshot is a small valid one)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from reports.models import Report, ReportDelivery, ReportFile

from .agreements import AgreementFactory, ChildFactory, _same_tenant

__all__ = ["ReportDeliveryFactory", "ReportFactory", "ReportFileFactory"]


def _snapshot(report) -> dict:
    return {
        "schema": 1,
        "tenant": {"name": report.tenant.name},
        "agreement": {
            "id": report.agreement.pk,
            "family": str(report.family),
            "reference": report.agreement.reference,
            "title": report.agreement.title,
            "version": report.agreement.version,
        },
        "period": {
            "kind": report.period_kind,
            "start": report.period_start.isoformat(),
            "end": report.period_end.isoformat(),
            "is_open": False,
        },
        "health": report.health,
        "counts": {"metrics": 0, "met": 0, "warning": 0, "breached": 0, "no_data": 0},
        "metrics": [],
    }


class ReportFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    family = factory.SelfAttribute("agreement.family")
    period_kind = "month"
    period_start = dt.date(2026, 3, 1)
    period_end = dt.date(2026, 4, 1)
    revision = factory.Sequence(lambda n: n + 1)
    health = "green"
    snapshot = factory.LazyAttribute(_snapshot)
    published_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = Report


class ReportFileFactory(ChildFactory):
    _parent_field = "report"
    report = _same_tenant(ReportFactory)
    format = "csv"
    language = "en"
    state = "ready"
    content = b"metric,value\n"
    size = 13

    class Meta:
        model = ReportFile


class ReportDeliveryFactory(ChildFactory):
    _parent_field = "report"
    report = _same_tenant(ReportFactory)
    side = "customer"
    name = "Li Lei"
    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))

    class Meta:
        model = ReportDelivery
