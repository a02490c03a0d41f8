"""Survey API: isolation for every endpoint, campaign writes through the service, roles."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from slaweb.tenancy.context import tenant_context
from surveys.choices import FollowUpStatus
from surveys.models import Campaign, FollowUp
from tests.factories.agreements import AgreementFactory, ContactFactory, CustomerFactory
from tests.factories.surveys import (
    CampaignFactory,
    FollowUpFactory,
    InvitationFactory,
    QuestionnaireFactory,
    RoundFactory,
)
from tests.isolation import APIIsolationTests


class TestCampaignAPI(APIIsolationTests):
    basename = "surveycampaign"
    factory = CampaignFactory
    foreign_keys = {
        "agreement": AgreementFactory,
        "customer": CustomerFactory,
        "questionnaire": QuestionnaireFactory,
        "recipients": ContactFactory,
    }
    names = itertools.count()

    def payload(self, tenant):
        agreement = AgreementFactory(tenant=tenant)
        return {
            "name": f"API campaign {next(self.names)}",
            "scope": "agreement",
            "agreement": agreement.pk,
            "questionnaire": QuestionnaireFactory(tenant=tenant).pk,
        }

    def test_create_sets_the_schedule_and_recipients(self, api, tenant_a):
        body = self.payload(tenant_a)
        with tenant_context(tenant_a):
            from agreements.models import Agreement

            customer = Agreement.objects.get(pk=body["agreement"]).customer
        contact = ContactFactory(tenant=tenant_a, customer=customer)
        response = api.post(self.list_url(), {**body, "recipients": [contact.pk]}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["recipients"] == [contact.pk]
        assert response.json()["next_run_at"]

    def test_a_recipient_of_another_tenant_is_400(self, api, tenant_a, tenant_b):
        foreign = ContactFactory(tenant=tenant_b)
        response = api.post(
            self.list_url(), {**self.payload(tenant_a), "recipients": [foreign.pk]}, format="json"
        )
        assert response.status_code == 400 and "recipients" in response.json()

    def test_a_viewer_cannot_create(self, api_viewer, tenant_a):
        assert (
            api_viewer.post(self.list_url(), self.payload(tenant_a), format="json").status_code
            == 403
        )
        with tenant_context(tenant_a):
            assert not Campaign.objects.exists()


class TestQuestionnaireAPI(APIIsolationTests):
    basename = "surveyquestionnaire"
    factory = QuestionnaireFactory

    def test_default_creates_the_seed_template(self, api):
        response = api.post(reverse("api:surveyquestionnaire-default"))
        assert response.status_code == 201
        texts = [q["text_zh"] for q in response.json()["questions"]]
        assert "综合本次服务体验，您的满意度是？" in texts
        assert len(texts) == 5


class TestRoundAPI(APIIsolationTests):
    basename = "surveyround"
    factory = RoundFactory


class TestInvitationAPI(APIIsolationTests):
    basename = "surveyinvitation"
    factory = InvitationFactory


class TestFollowUpAPI(APIIsolationTests):
    basename = "surveyfollowup"
    factory = FollowUpFactory

    def test_close_needs_cause_and_action(self, api, own, tenant_a):
        url = reverse("api:surveyfollowup-close", args=[own.pk])
        assert api.post(url, {"cause": "", "action": "x"}, format="json").status_code == 400
        done = api.post(
            url, {"cause": "Slow night shift", "action": "Second engineer"}, format="json"
        )
        assert done.status_code == 200 and done.json()["status"] == FollowUpStatus.CLOSED

    def test_closing_another_tenants_follow_up_is_404(self, api, other):
        url = reverse("api:surveyfollowup-close", args=[other.pk])
        assert api.post(url, {"cause": "a", "action": "b"}, format="json").status_code == 404
        with tenant_context(other.tenant_id):
            assert FollowUp.objects.get(pk=other.pk).status == FollowUpStatus.OPEN

    def test_a_viewer_cannot_close(self, api_viewer, tenant_a):
        own = FollowUpFactory(tenant=tenant_a)
        url = reverse("api:surveyfollowup-close", args=[own.pk])
        assert api_viewer.post(url, {"cause": "a", "action": "b"}, format="json").status_code == 403


@pytest.mark.parametrize("basename", ["surveyround", "surveyinvitation", "surveyfollowup"])
def test_read_only_endpoints_refuse_writes(api_admin, basename):
    assert api_admin.post(reverse(f"api:{basename}-list"), {}, format="json").status_code == 405
