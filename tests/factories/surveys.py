"""Factories of the surveys domain. A child copies its parent's tenant."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from surveys.choices import InvitationStatus, QuestionKind, Scope
from surveys.models import (
    Answer,
    Campaign,
    CampaignRecipient,
    Dimension,
    FollowUp,
    Invitation,
    Question,
    Questionnaire,
    Response,
    Round,
)

from .agreements import AgreementFactory, ChildFactory, ContactFactory, _same_tenant
from .base import TenantOwnedFactory

__all__ = [
    "AnswerFactory",
    "CampaignFactory",
    "CampaignRecipientFactory",
    "DimensionFactory",
    "FollowUpFactory",
    "InvitationFactory",
    "QuestionFactory",
    "QuestionnaireFactory",
    "ResponseFactory",
    "RoundFactory",
]


class QuestionnaireFactory(TenantOwnedFactory):
    name = factory.Sequence(lambda n: f"Questionnaire {n}")

    class Meta:
        model = Questionnaire


class DimensionFactory(ChildFactory):
    _parent_field = "questionnaire"
    questionnaire = _same_tenant(QuestionnaireFactory)
    code = factory.Sequence(lambda n: f"dim{n}")
    name_en = "Timeliness"
    name_zh = "服务时效性"

    class Meta:
        model = Dimension


class QuestionFactory(ChildFactory):
    _parent_field = "questionnaire"
    questionnaire = _same_tenant(QuestionnaireFactory)
    code = factory.Sequence(lambda n: f"q{n}")
    kind = QuestionKind.LIKERT
    text_en = "How satisfied are you?"
    text_zh = "您满意吗？"

    class Meta:
        model = Question


class CampaignFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    customer = factory.LazyAttribute(lambda o: o.agreement.customer)
    questionnaire = _same_tenant(QuestionnaireFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    scope = Scope.AGREEMENT

    class Meta:
        model = Campaign


class CampaignRecipientFactory(ChildFactory):
    _parent_field = "campaign"
    campaign = _same_tenant(CampaignFactory)
    contact = factory.LazyAttribute(
        lambda o: ContactFactory(tenant=o.tenant, customer=o.campaign.customer)
    )

    class Meta:
        model = CampaignRecipient


class RoundFactory(ChildFactory):
    _parent_field = "campaign"
    campaign = _same_tenant(CampaignFactory)
    questionnaire = factory.LazyAttribute(lambda o: o.campaign.questionnaire)
    period_start = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))
    period_end = factory.LazyAttribute(lambda o: o.period_start)
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))

    class Meta:
        model = Round


class InvitationFactory(ChildFactory):
    _parent_field = "round"
    round = _same_tenant(RoundFactory)
    contact = factory.LazyAttribute(
        lambda o: ContactFactory(tenant=o.tenant, customer=o.round.campaign.customer)
    )
    language = "zh-hans"
    status = InvitationStatus.QUEUED

    class Meta:
        model = Invitation


class ResponseFactory(ChildFactory):
    _parent_field = "round"
    round = _same_tenant(RoundFactory)
    questionnaire = factory.LazyAttribute(lambda o: o.round.questionnaire)
    language = "zh-hans"

    class Meta:
        model = Response


class AnswerFactory(ChildFactory):
    _parent_field = "response"
    response = _same_tenant(ResponseFactory)
    question = factory.LazyAttribute(
        lambda o: QuestionFactory(tenant=o.tenant, questionnaire=o.response.questionnaire)
    )
    score = 4

    class Meta:
        model = Answer


class FollowUpFactory(ChildFactory):
    _parent_field = "response"
    response = _same_tenant(ResponseFactory)
    campaign = factory.LazyAttribute(lambda o: o.response.round.campaign)
    agreement = factory.LazyAttribute(lambda o: o.response.round.campaign.agreement)
    lowest_score = 2
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))
    assignee_name = "Zhang Wei"
    assignee_email = "zhang.wei@provider.example"

    class Meta:
        model = FollowUp
