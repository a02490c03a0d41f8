"""List filters shared by pages and API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import FollowUpStatus, InvitationStatus, Scope, Trigger
from .models import Campaign, FollowUp, Invitation, Questionnaire, Round

# Every filter is declared: generated ones would query the scoped manager at import time.


class QuestionnaireFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name"))
    archived = django_filters.BooleanFilter(label=_("archived"))

    class Meta:
        model = Questionnaire
        fields = ["name", "archived"]


class CampaignFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("search"))
    scope = django_filters.ChoiceFilter(choices=Scope.choices, label=_("about"))
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices, label=_("schedule"))
    active = django_filters.BooleanFilter(label=_("active"))
    agreement = django_filters.NumberFilter(field_name="agreement_id", label=_("agreement"))

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
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("campaign"))

    class Meta:
        model = Round
        fields = ["campaign"]


class InvitationFilterSet(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="round_id", label=_("round"))
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices, label=_("status"))

    class Meta:
        model = Invitation
        fields = ["round", "status"]


class FollowUpFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("status"))
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("campaign"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("overdue"),
        widget=forms.Select(choices=[("", "---------"), ("true", _("yes")), ("false", _("no"))]),
    )

    class Meta:
        model = FollowUp
        fields = ["status", "campaign", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = Q(status=FollowUpStatus.OPEN, due_at__lt=timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)
