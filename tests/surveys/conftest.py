"""Fixtures of the surveys tests: an active agreement (CN business calendar), the seed's
default questionnaire and a monthly campaign with a Chinese and an English contact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import Contact
from slaweb.tenancy.context import tenant_context
from surveys import services
from surveys.models import Campaign
from tests.agreements.conftest import make_active

# A Monday in a normal working week (no Chinese public holiday nearby).
MONDAY = dt.datetime(2026, 6, 8, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


def make_campaign(tenant, reference="SLA-S1", anonymous=False, **fields):
    agreement = make_active(
        tenant,
        reference,
        provider_contact_name="Zhang Wei",
        provider_contact_email="zhang.wei@provider.example",
    )
    with tenant_context(tenant):
        questionnaire = services.create_default_questionnaire(tenant)
        li = agreement.customer_contact
        smith = Contact.objects.create(
            customer=agreement.customer,
            name="Anna Smith",
            email=f"anna.{reference.lower()}@customer.example",
            language="en",
        )
        campaign = Campaign(
            name=f"Monthly survey {reference}",
            scope="agreement",
            agreement=agreement,
            questionnaire=questionnaire,
            anonymous=anonymous,
            **fields,
        )
        services.save_campaign(campaign, recipients=[li, smith])
    return campaign


@pytest.fixture
def campaign(tenant_a):
    return make_campaign(tenant_a)


@pytest.fixture
def anonymous_campaign(tenant_a):
    return make_campaign(tenant_a, "SLA-ANON", anonymous=True)


def dispatch(tenant, campaign, at=MONDAY):
    """Make the campaign due at `at` and run the dispatcher then (time frozen by caller)."""
    with tenant_context(tenant):
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=at)
    return services.dispatch_due_campaigns(at)


def now():
    return timezone.now()


@pytest.fixture(autouse=True)
def generous_rate(settings):
    """Tests open many links from one address; the limit itself has its own test."""
    settings.SURVEY_ANSWER_RATE = "10000/m"


def issue_token(tenant, invitation) -> str:
    """A fresh personal link of an invitation (the mailed one is not kept in plain)."""
    from surveys.services.links import issue_link

    with tenant_context(tenant):
        return issue_link(invitation)


def answers_for(tenant, invitation, scores=(5, 4, 4, 5), text="更快一些"):
    """POST data answering the default questionnaire: the four ratings and the open one."""
    from surveys.models import Question

    with tenant_context(tenant):
        questions = list(
            Question.objects.filter(questionnaire=invitation.round.questionnaire).order_by("order")
        )
    data, ratings = {}, iter(scores)
    for question in questions:
        data[f"q{question.pk}"] = text if question.kind == "open" else str(next(ratings))
    return data
