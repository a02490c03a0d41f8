"""Reads shared by pages and API: lists annotated in one query each."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Q

from .choices import InvitationStatus
from .models import Campaign, FollowUp, Invitation, Question, Questionnaire, Round


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


@dataclass(frozen=True)
class AnsweringQuestionnaire:
    """A used questionnaire version, ready for the answer page: read once per process."""

    questionnaire: Questionnaire
    questions: tuple[Question, ...]


def answering_questionnaire(tenant_id: int, questionnaire_id: int) -> AnsweringQuestionnaire:
    """The questionnaire of a round with its questions (and their dimensions), in order.

    A version is frozen once a round used it (decision 006: changes make a new version),
    so the answer page keeps it in memory by id instead of reading it on every request.
    Call inside the tenant's scope; the key holds the tenant, so no other tenant's
    request can be given it.
    """
    return _answering_questionnaire(tenant_id, questionnaire_id)


@lru_cache(maxsize=256)
def _answering_questionnaire(tenant_id: int, questionnaire_id: int) -> AnsweringQuestionnaire:
    questions = tuple(
        Question.objects.filter(questionnaire_id=questionnaire_id).select_related(
            "questionnaire", "dimension"
        )
    )
    if questions:
        questionnaire = questions[0].questionnaire
    else:
        questionnaire = Questionnaire.objects.get(pk=questionnaire_id)
    if questionnaire.tenant_id != tenant_id:  # RLS makes this impossible; keep it explicit
        raise Questionnaire.DoesNotExist
    return AnsweringQuestionnaire(questionnaire, questions)


answering_questionnaire.cache_clear = _answering_questionnaire.cache_clear
