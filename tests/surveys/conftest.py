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
