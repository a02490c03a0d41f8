import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import selectors
from .choices import (
    AgreementKind,
    AgreementStatus,
    CustomerKind,
    EmailStatus,
    Language,
    MeasurementPeriod,
    MetricKind,
    TierCode,
)
from .models import (
    Agreement,
    BusinessCalendar,
    Contact,
    Customer,
    MetricDefinition,
    PriorityTier,
    Service,
)


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


# Every filter is declared: generated ones would query the scoped manager at import time.


class ServiceFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    archived = django_filters.BooleanFilter()

    class Meta:
        model = Service
        fields = ["name", "archived"]


class CustomerFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices)
    archived = django_filters.BooleanFilter()

    class Meta:
        model = Customer
        fields = ["name", "kind", "archived"]


class ContactFilterSet(django_filters.FilterSet):
    customer = IntegerFilter(field_name="customer_id", min_value=1)
    email = django_filters.CharFilter(lookup_expr="icontains")
    email_status = django_filters.ChoiceFilter(choices=EmailStatus.choices)
    language = django_filters.ChoiceFilter(choices=Language.choices)
    archived = django_filters.BooleanFilter()

    class Meta:
        model = Contact
        fields = ["customer", "email", "email_status", "language", "archived"]


class BusinessCalendarFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_24x7 = django_filters.BooleanFilter()
    country = django_filters.CharFilter(lookup_expr="iexact")
    archived = django_filters.BooleanFilter()

    class Meta:
        model = BusinessCalendar
        fields = ["name", "is_24x7", "country", "archived"]


class AgreementFilterSet(django_filters.FilterSet):
    """The agreement list's rules, for the API and the list page alike."""

    search = django_filters.CharFilter(
        method="filter_search", label=_("title, reference or customer")
    )
    customer = IntegerFilter(field_name="customer_id", min_value=1)
    service = IntegerFilter(field_name="service_links__service_id", min_value=1, distinct=True)
    status = django_filters.MultipleChoiceFilter(choices=AgreementStatus.choices)
    kind = django_filters.ChoiceFilter(choices=AgreementKind.choices)
    reference = django_filters.CharFilter(lookup_expr="iexact")
    expiring_within_days = IntegerFilter(
        method="filter_expiring",
        min_value=0,
        max_value=3660,
        label=_("active and ending within this many days"),
    )
    in_force_on = django_filters.DateFilter(
        method="filter_in_force", label=_("in force on this date")
    )

    class Meta:
        model = Agreement
        fields = [
            "search",
            "customer",
            "service",
            "status",
            "kind",
            "reference",
            "expiring_within_days",
            "in_force_on",
        ]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(reference__icontains=value)
            | Q(customer__name__icontains=value)
        )

    def filter_expiring(self, queryset, name, value):
        return selectors.expiring_within(queryset, value)

    def filter_in_force(self, queryset, name, value):
        return queryset.filter(
            status__in=selectors.IN_FORCE_STATUSES, effective_from__lte=value
        ).exclude(effective_to__lt=value)


class PriorityTierFilterSet(django_filters.FilterSet):
    agreement = IntegerFilter(field_name="agreement_id", min_value=1)
    code = django_filters.ChoiceFilter(choices=TierCode.choices)

    class Meta:
        model = PriorityTier
        fields = ["agreement", "code"]


class MetricDefinitionFilterSet(django_filters.FilterSet):
    agreement = IntegerFilter(field_name="agreement_id", min_value=1)
    kind = django_filters.ChoiceFilter(choices=MetricKind.choices)
    period = django_filters.ChoiceFilter(choices=MeasurementPeriod.choices)

    class Meta:
        model = MetricDefinition
        fields = ["agreement", "kind", "period"]
