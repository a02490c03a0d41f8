"""Reads shared by pages and API: lists annotated in one query each."""

from __future__ import annotations

from django.db.models import Count, Q

from .choices import InvitationStatus
from .models import Campaign, FollowUp, Invitation, Questionnaire, Round


def questionnaires(queryset=None):
    queryset = Questionnaire.objects.all() if queryset is None else queryset
    return queryset.annotate(
        question_count=Count("questions", distinct=True),
        round_count=Count("rounds", distinct=True),
    ).order_by("archived", "name", "-version")


def campaigns(queryset=None):
    queryset = Campaign.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("agreement", "customer", "questionnaire")
        .annotate(
            recipient_count=Count("recipient_links", distinct=True),
            round_count=Count("rounds", distinct=True),
            open_follow_ups=Count("follow_ups", filter=Q(follow_ups__status="open"), distinct=True),
        )
        .order_by("name")
    )


def rounds(queryset=None):
    queryset = Round.objects.all() if queryset is None else queryset
    return queryset.select_related("campaign").annotate(
        invited=Count("invitations", filter=~Q(invitations__status=InvitationStatus.SKIPPED)),
        answered=Count("invitations", filter=Q(invitations__status=InvitationStatus.ANSWERED)),
        skipped=Count("invitations", filter=Q(invitations__status=InvitationStatus.SKIPPED)),
        bounced=Count("invitations", filter=Q(invitations__status=InvitationStatus.BOUNCED)),
    )


def invitations(queryset=None):
    queryset = Invitation.objects.all() if queryset is None else queryset
    return queryset.select_related("contact", "contact__customer").order_by("contact__name", "pk")


def follow_ups(queryset=None):
    queryset = FollowUp.objects.all() if queryset is None else queryset
    return queryset.select_related(
        "campaign", "agreement", "contact", "response__round", "closed_by"
    ).order_by("status", "due_at")
