"""Tenant-scoped reads of the agreements domain, shaped so list pages run a constant number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .choices import AgreementStatus
from .models import (
    Agreement,
    AgreementApproval,
    MetricDefinition,
    PriorityTier,
    Service,
)

IN_FORCE_STATUSES = (
    AgreementStatus.ACTIVE,
    AgreementStatus.SUPERSEDED,
    AgreementStatus.EXPIRED,
    AgreementStatus.TERMINATED,
)


def _count(model, field: str = "agreement") -> Coalesce:
    """A correlated COUNT (no join fan-out between several counts)."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def agreements(tenant, queryset: QuerySet[Agreement] | None = None) -> QuerySet[Agreement]:
    """Agreements with customer, window, services and counts of tiers, metrics and versions."""
    queryset = Agreement.objects.filter(tenant=tenant) if queryset is None else queryset
    return (
        queryset.select_related("customer", "customer_contact", "default_calendar", "supersedes")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.filter(tenant=tenant).order_by("name"))
        )
        .annotate(
            tier_count=_count(PriorityTier),
            metric_count=_count(MetricDefinition),
            version_count=Coalesce(
                Subquery(
                    Agreement.objects.filter(tenant=tenant, family=OuterRef("family"))
                    .order_by()
                    .values("family")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(1),
            ),
        )
    )


def agreement_detail(tenant, queryset: QuerySet[Agreement] | None = None) -> QuerySet[Agreement]:
    """Agreements with every part prefetched (detail page, API detail and nested writes)."""
    return agreements(tenant, queryset).prefetch_related(
        Prefetch(
            "tiers", queryset=PriorityTier.objects.filter(tenant=tenant).select_related("calendar")
        ),
        Prefetch(
            "metrics",
            queryset=MetricDefinition.objects.filter(tenant=tenant).prefetch_related(
                Prefetch("tiers", queryset=PriorityTier.objects.filter(tenant=tenant))
            ),
        ),
        "exclusions",
        "recipients__contact",
        Prefetch("approvals", queryset=AgreementApproval.objects.filter(tenant=tenant)),
    )


def versions(agreement: Agreement) -> QuerySet[Agreement]:
    """Every version of the agreement, oldest first."""
    return (
        Agreement.objects.filter(tenant_id=agreement.tenant_id, family=agreement.family)
        .select_related("customer")
        .order_by("version")
    )


def version_in_force(agreement: Agreement, day: dt.date) -> Agreement | None:
    """The version of this agreement that was (or is) in force on `day` - periods are judged by it."""
    return (
        versions(agreement)
        .filter(status__in=IN_FORCE_STATUSES, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-version")
        .first()
    )


def expiring_within(
    queryset: QuerySet[Agreement], days: int, today: dt.date | None = None
) -> QuerySet[Agreement]:
    today = today or timezone.localdate()
    return queryset.filter(
        status=AgreementStatus.ACTIVE,
        effective_to__gte=today,
        effective_to__lte=today + dt.timedelta(days=days),
    )
