"""List filters shared by pages and API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import FollowUpStatus, InvitationStatus, Scope, Trigger
from .models import Campaign, FollowUp, Invitation, Questionnaire, Round

# Every filter is declared: generated ones would query the scoped manager at import time.


def _agreements(request):
    from agreements.models import Agreement

    if request is None or getattr(request, "tenant", None) is None:
        return Agreement.objects.none()
    return Agreement.objects.filter(tenant=request.tenant).order_by("reference", "-version")


def _campaigns(request):
    if request is None or getattr(request, "tenant", None) is None:
        return Campaign.objects.none()
    return Campaign.objects.filter(tenant=request.tenant).order_by("name")


class QuestionnaireFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("Name"))
    archived = django_filters.BooleanFilter(label=_("Archived"))

    class Meta:
        model = Questionnaire
        fields = ["name", "archived"]


class CampaignFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    scope = django_filters.ChoiceFilter(choices=Scope.choices, label=_("About"))
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices, label=_("Schedule"))
    active = django_filters.BooleanFilter(label=_("Active"))
    agreement = django_filters.ModelChoiceFilter(queryset=_agreements, label=_("Agreement"))

    class Meta:
        model = Campaign
        fields = ["q", "scope", "trigger", "active", "agreement"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(agreement__title__icontains=value)
            | Q(customer__name__icontains=value)
        )


class RoundFilterSet(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("Campaign"))

    class Meta:
        model = Round
        fields = ["campaign"]


class InvitationFilterSet(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="round_id", label=_("Round"))
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices, label=_("Status"))

    class Meta:
        model = Invitation
        fields = ["round", "status"]


class FollowUpFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("Status"))
    campaign = django_filters.ModelChoiceFilter(queryset=_campaigns, label=_("Campaign"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("Overdue"),
        widget=forms.Select(choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = FollowUp
        fields = ["status", "campaign", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = Q(status=FollowUpStatus.OPEN, due_at__lt=timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)
