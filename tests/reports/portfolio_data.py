"""Hand-made data for the portfolio and Overview tests: agreements moved through their
workflow (parts made while draft), results per metric and month, survey answers."""

from __future__ import annotations

import datetime as dt

from agreements.models import Agreement
from slaweb.tenancy.context import tenant_context
from tests.factories.agreements import (
    AgreementFactory,
    AgreementServiceFactory,
    MetricDefinitionFactory,
)
from tests.factories.metrics import ComplianceResultFactory
from tests.factories.surveys import (
    AnswerFactory,
    CampaignFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
    RoundFactory,
)


def month_end(start):
    return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)


STEPS = {
    "in_review": ["in_review"],
    "active": ["in_review", "active"],
    "expired": ["in_review", "active", "expired"],
}


def agreement(tenant=None, status="active", metrics=2, services=(), **kwargs):
    """An agreement with metrics m0, m1, ... and services, then moved through its workflow
    (a version that left draft is frozen, so its parts are made first)."""
    if tenant is not None:
        kwargs["tenant"] = tenant
    made = AgreementFactory(**kwargs)
    for i in range(metrics):
        MetricDefinitionFactory(agreement=made, name=f"m{i}")
    for service in services:
        AgreementServiceFactory(agreement=made, service=service)
    with tenant_context(made.tenant):
        for step in STEPS.get(status, []):
            Agreement.objects.filter(pk=made.pk).update(status=step)
    made.status = status
    return made


def results(agreement_, start, *statuses):
    """One result per status, for metrics m0, m1, ... (the same names every month)."""
    for i, status in enumerate(statuses):
        with tenant_context(agreement_.tenant):
            metric = agreement_.metrics.get(name=f"m{i}")
        ComplianceResultFactory(
            metric=metric,
            period_start=start,
            period_end=month_end(start),
            status=status,
            count_all=10,
        )


def survey(agreement, start, scores, *, overall=True, invited=0, answered=0, **campaign):
    campaign_ = CampaignFactory(agreement=agreement, **campaign)
    round_ = RoundFactory(campaign=campaign_, period_start=start, period_end=start)
    question = QuestionFactory(
        tenant=agreement.tenant, questionnaire=campaign_.questionnaire, is_overall=overall
    )
    other = QuestionFactory(tenant=agreement.tenant, questionnaire=campaign_.questionnaire)
    for score in scores:
        response = ResponseFactory(round=round_)
        AnswerFactory(response=response, question=question, score=score)
        AnswerFactory(response=response, question=other, score=1)  # not the overall one
    for i in range(invited):
        InvitationFactory(round=round_, status="answered" if i < answered else "queued")
    return campaign_
