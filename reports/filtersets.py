"""Report lists: one FilterSet per list, shared by pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from agreements.choices import AgreementKind, MeasurementPeriod
from agreements.models import Agreement, Customer, Service

from . import periods
from .choices import Health
from .models import Report

# Every filter is declared: generated ones would query the scoped manager at import time.


def _customers(request):
    if request is None or getattr(request, "tenant", None) is None:
        return Customer.objects.none()
    return Customer.objects.filter(tenant=request.tenant).order_by("name")


def _services(request):
    if request is None or getattr(request, "tenant", None) is None:
        return Service.objects.none()
    return Service.objects.filter(tenant=request.tenant).order_by("name")


class PortfolioForm(forms.Form):
    """The period range must be periods of the chosen length, in order, at most MAX_PERIODS."""

    def clean(self):
        from .selectors.portfolio import MAX_PERIODS, period_starts

        data = super().clean()
        kind = data.get("period") or MeasurementPeriod.MONTH
        bounds = {}
        for name in ("start", "end"):
            text = data.get(name)
            if not text:
                continue
            try:
                found_kind, start = periods.parse(text)
            except ValueError:
                self.add_error(name, _("Write a period like 2026-10, 2026-Q3 or 2026."))
                continue
            if not MIN_YEAR <= start.year <= MAX_YEAR:
                self.add_error(
                    name,
                    _("Choose a year from %(min)d to %(max)d.")
                    % {"min": MIN_YEAR, "max": MAX_YEAR},
                )
                continue
            if found_kind != kind:
                self.add_error(
                    name,
                    _("Write a %(kind)s, like %(example)s.")
                    % {"kind": MeasurementPeriod(kind).label, "example": EXAMPLES[kind]},
                )
                continue
            bounds[name] = start
        if "start" in bounds and "end" in bounds:
            if bounds["start"] > bounds["end"]:
                self.add_error("end", _("The last period comes before the first."))
            elif len(period_starts(bounds["start"], bounds["end"], kind)) > MAX_PERIODS:
                self.add_error("end", _("At most %(n)d periods at a time.") % {"n": MAX_PERIODS})
        self.period_bounds = bounds  # not in cleaned_data: the FilterSet filters by each key
        return data


MIN_YEAR, MAX_YEAR = 1970, 2199

EXAMPLES = {
    MeasurementPeriod.MONTH: "2026-10",
    MeasurementPeriod.QUARTER: "2026-Q3",
    MeasurementPeriod.YEAR: "2026",
}


class PortfolioFilterSet(django_filters.FilterSet):
    """The portfolio's agreements (customer, service, kind) and its periods (length, range);
    the page and the API read `options()`."""

    customer = django_filters.ModelChoiceFilter(
        queryset=_customers, label=_("Customer"), empty_label=_("All")
    )
    service = django_filters.ModelChoiceFilter(
        queryset=_services,
        field_name="service_links__service",
        label=_("Service"),
        empty_label=_("All"),
    )
    kind = django_filters.ChoiceFilter(
        choices=AgreementKind.choices, label=_("Kind"), empty_label=_("All")
    )
    period = django_filters.ChoiceFilter(
        choices=MeasurementPeriod.choices, method="keep", label=_("Periods of"), empty_label=None
    )
    start = django_filters.CharFilter(
        method="keep", label=_("From"), help_text=_("e.g. 2026-01, 2026-Q1 or 2026")
    )
    end = django_filters.CharFilter(
        method="keep", label=_("To"), help_text=_("e.g. 2026-12, 2026-Q4 or 2026")
    )

    class Meta:
        model = Agreement
        fields = ["customer", "service", "kind", "period", "start", "end"]
        form = PortfolioForm

    def keep(self, queryset, name, value):
        return queryset  # read by options(), not a filter on agreements

    def options(self) -> dict:
        """Arguments of selectors.portfolio.portfolio(): the filtered agreements, the period
        length and range (the defaults where the input is missing or invalid)."""
        if self.is_bound and self.is_valid():
            data = self.form.cleaned_data
            bounds = self.form.period_bounds
            kind = data.get("period") or MeasurementPeriod.MONTH
            return {
                "agreements": self.qs,
                "kind": kind,
                "first": bounds.get("start"),
                "last": bounds.get("end"),
            }
        return {"agreements": self.queryset, "kind": MeasurementPeriod.MONTH}


class PeriodTextField(forms.CharField):
    """ "2026-10", "2026-Q3" or "2026" -> (kind, first day)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return periods.parse(value)
        except ValueError:
            raise forms.ValidationError(
                _("Write a period like 2026-10, 2026-Q3 or 2026.")
            ) from None


@extend_schema_field(OpenApiTypes.STR)
class PeriodTextFilter(django_filters.Filter):
    field_class = PeriodTextField


class ReportFilterSet(django_filters.FilterSet):
    """Published reports (API list, revisions pages): agreement reference, family, period,
    health, and `latest` for the newest revision of each period only."""

    agreement = django_filters.CharFilter(method="by_reference", label=_("Agreement reference"))
    family = django_filters.UUIDFilter(label=_("Agreement family"))
    period_kind = django_filters.ChoiceFilter(choices=MeasurementPeriod.choices, label=_("Period"))
    period = PeriodTextFilter(
        method="by_period", label=_("Period"), help_text=_("e.g. 2026-10, 2026-Q3 or 2026")
    )
    health = django_filters.ChoiceFilter(choices=Health.choices, label=_("Health"))
    latest = django_filters.BooleanFilter(method="only_latest", label=_("Latest revision only"))

    class Meta:
        model = Report
        fields = ["agreement", "family", "period_kind", "period", "health", "latest"]

    def by_reference(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(agreement__reference=value)

    def by_period(self, queryset, name, value):
        if not value:
            return queryset
        kind, start = value
        return queryset.filter(period_kind=kind, period_start=start)

    def only_latest(self, queryset, name, value):
        if not value:
            return queryset
        newest = (
            Report.objects.filter(
                tenant=OuterRef("tenant"),
                family=OuterRef("family"),
                period_kind=OuterRef("period_kind"),
                period_start=OuterRef("period_start"),
            )
            .order_by("-revision")
            .values("revision")[:1]
        )
        return queryset.filter(revision=Subquery(newest))
