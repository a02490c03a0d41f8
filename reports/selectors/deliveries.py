"""Reads of report deliveries: who a revision was sent to, who opened and acknowledged it."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Report, ReportDelivery


def deliveries_of(report: Report) -> QuerySet[ReportDelivery]:
    """The recipients of one revision, provider side first, then by address."""
    return ReportDelivery.objects.filter(tenant_id=report.tenant_id, report=report).order_by(
        "side", "email"
    )
