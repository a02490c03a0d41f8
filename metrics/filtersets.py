"""List filters of the metrics domain, shared by the API and the pages."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.choices import MeasurementPeriod, TicketKind, TierCode
from agreements.models import Agreement
from slaweb.tenancy.audit_display import tenant_zone

from .choices import ActionStatus, ClockState, OutageExclusion, Status
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


def by_agreement(queryset, name, value):
    """`agreement` is the reference shared by every version (records belong to the family)."""
    if not value:
        return queryset
    families = Agreement.objects.filter(reference=value).values("family")
    return queryset.filter(family__in=families)


class MonthField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None


class PeriodFilter(django_filters.Filter):
    """YYYY-MM: the period starting that month."""

    field_class = MonthField


class InstantField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant as UTC within 1970-2199 (PostgreSQL refuses offsets past 15:59)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC)
        if not 1970 <= parsed.year <= 2199:
            raise forms.ValidationError(_("Choose a date between 1970 and 2199."))
        return parsed


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class RecordFilterSet(django_filters.FilterSet):
    agreement = django_filters.CharFilter(method=by_agreement, label=_("Agreement reference"))
    external_id = django_filters.CharFilter()


class TicketFilterSet(RecordFilterSet):
    priority = django_filters.ChoiceFilter(field_name="tier_code", choices=TierCode.choices)
    kind = django_filters.ChoiceFilter(choices=TicketKind.choices)
    category = django_filters.CharFilter()
    opened_from = InstantFilter(field_name="opened_at", lookup_expr="gte")
    opened_to = InstantFilter(field_name="opened_at", lookup_expr="lt")
    resolved = django_filters.BooleanFilter(
        field_name="resolved_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Ticket
        fields = ["agreement", "external_id", "priority", "kind", "category"]


class DeliveryFilterSet(RecordFilterSet):
    due_from = InstantFilter(field_name="due_at", lookup_expr="gte")
    due_to = InstantFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["agreement", "external_id"]


class OutageFilterSet(RecordFilterSet):
    exclusion = django_filters.ChoiceFilter(choices=OutageExclusion.choices)
    start_from = InstantFilter(field_name="started_at", lookup_expr="gte")
    start_to = InstantFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Outage
        fields = ["agreement", "external_id", "exclusion"]


class SampleFilterSet(RecordFilterSet):
    metric = django_filters.CharFilter(field_name="metric_name")
    period = PeriodFilter(field_name="period_start")

    class Meta:
        model = Sample
        fields = ["agreement", "external_id", "metric"]


class TicketClockFilterSet(django_filters.FilterSet):
    agreement = django_filters.CharFilter(method=by_agreement, label=_("Agreement reference"))
    metric = django_filters.NumberFilter(field_name="metric_id")
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    state = django_filters.ChoiceFilter(choices=ClockState.choices)
    period = PeriodFilter(field_name="period_start")
    due_before = InstantFilter(field_name="due_minimum_at", lookup_expr="lte")

    class Meta:
        model = TicketClock
        fields = ["agreement", "metric", "ticket", "state"]


class ComplianceResultFilterSet(django_filters.FilterSet):
    agreement = django_filters.CharFilter(method=by_agreement, label=_("Agreement reference"))
    metric = django_filters.CharFilter(field_name="metric_name", label=_("metric name"))
    metric_id = django_filters.NumberFilter(field_name="metric_id")
    period = PeriodFilter(field_name="period_start")
    period_kind = django_filters.ChoiceFilter(choices=MeasurementPeriod.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    period_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte")

    class Meta:
        model = ComplianceResult
        fields = ["agreement", "metric", "period", "status"]


class CreditResultFilterSet(django_filters.FilterSet):
    agreement = django_filters.CharFilter(method=by_agreement, label=_("Agreement reference"))
    period = PeriodFilter(field_name="period_start")

    class Meta:
        model = CreditResult
        fields = ["agreement", "period"]


class ImprovementActionFilterSet(django_filters.FilterSet):
    agreement = django_filters.CharFilter(method=by_agreement, label=_("Agreement reference"))
    metric = django_filters.CharFilter(field_name="metric_name")
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)
    owner = django_filters.CharFilter(lookup_expr="icontains", label=_("Owner"))
    overdue = django_filters.BooleanFilter(method="by_overdue", label=_("Overdue"))

    class Meta:
        model = ImprovementAction
        fields = ["agreement", "metric", "status", "owner", "overdue"]

    def by_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate(timezone=tenant_zone(getattr(self.request, "tenant", None)))
        rule = ImprovementAction.overdue_on(today)
        return queryset.filter(rule) if value else queryset.exclude(rule)


class ClockRecomputeFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClockRecompute.Status.choices)
    calendar = django_filters.NumberFilter(field_name="calendar_id")
    created_from = InstantFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ClockRecompute
        fields = ["status", "calendar"]
