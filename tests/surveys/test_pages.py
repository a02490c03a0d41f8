"""Managers' pages: every page renders for a viewer, writes need a manager, the
follow-up queue and its closing, campaign editing with bad input, constant queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from slaweb.tenancy.context import tenant_context
from surveys.choices import Channel, FollowUpStatus, InvitationStatus
from surveys.models import Campaign, FollowUp, Invitation, Response, Round
from tests.factories.surveys import (
    CampaignFactory,
    FollowUpFactory,
    InvitationFactory,
    QuestionnaireFactory,
    RoundFactory,
)
from tests.isolation import PageIsolationTests

from .conftest import MONDAY, answers_for, dispatch


def u(tenant, name, *args):
    return reverse(f"surveys:{name}", args=[tenant.slug, *args])


@pytest.fixture
def dispatched(tenant_a, campaign):
    with time_machine.travel(MONDAY, tick=False):
        dispatch(tenant_a, campaign)
    with tenant_context(tenant_a):
        return Round.objects.get(campaign=campaign)


@pytest.fixture
def follow_up(tenant_a, dispatched):
    with tenant_context(tenant_a):
        invitation = (
            Invitation.objects.select_related("round__campaign").filter(round=dispatched).first()
        )
    from surveys import services

    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False), tenant_context(tenant_a):
        values = {
            int(k[1:]): v for k, v in answers_for(tenant_a, invitation, scores=(1, 3, 3, 2)).items()
        }
        services.submit_response(invitation, values)
        return FollowUp.objects.get()


def test_every_page_renders_for_a_viewer(
    client, viewer_a, tenant_a, campaign, dispatched, follow_up
):
    client.force_login(viewer_a.user)
    with tenant_context(tenant_a):
        invitation = Invitation.objects.first()
    pages = [
        u(tenant_a, "campaign-list"),
        u(tenant_a, "campaign-detail", campaign.pk),
        u(tenant_a, "campaign-results", campaign.pk),
        u(tenant_a, "agreement-results", campaign.agreement_id),
        u(tenant_a, "round-detail", dispatched.pk),
        u(tenant_a, "questionnaire-list"),
        u(tenant_a, "questionnaire-detail", campaign.questionnaire_id),
        u(tenant_a, "followup-list"),
        u(tenant_a, "followup-detail", follow_up.pk),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    csv = client.get(u(tenant_a, "campaign-results", campaign.pk), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    # viewers cannot write
    assert client.post(u(tenant_a, "campaign-detail", campaign.pk)).status_code == 403
    assert (
        client.post(
            u(tenant_a, "followup-detail", follow_up.pk), {"cause": "x", "action": "y"}
        ).status_code
        == 403
    )
    assert client.get(u(tenant_a, "invitation-answer", invitation.pk)).status_code == 200
    assert client.post(u(tenant_a, "invitation-answer", invitation.pk), {}).status_code == 403


def test_closing_a_follow_up_needs_cause_and_action(client, manager_a, tenant_a, follow_up):
    client.force_login(manager_a.user)
    url = u(tenant_a, "followup-detail", follow_up.pk)
    page = client.post(url, {"cause": "", "action": "Called the customer"})
    assert page.status_code == 400
    assert "Called the customer" in page.content.decode()  # nothing typed is lost
    with tenant_context(tenant_a):
        assert FollowUp.objects.get().status == FollowUpStatus.OPEN
    done = client.post(
        url,
        {
            "cause": "Night shift understaffed",
            "action": "Added an engineer",
            "contacted_at": "2026-06-09T10:00",
        },
    )
    assert done.status_code == 302
    with tenant_context(tenant_a):
        closed = FollowUp.objects.get()
    assert closed.status == FollowUpStatus.CLOSED and closed.closed_by == manager_a.user


def test_the_queue_filters_open_and_overdue(client, manager_a, tenant_a, follow_up):
    client.force_login(manager_a.user)
    with time_machine.travel(MONDAY + dt.timedelta(days=5)):
        overdue = client.get(u(tenant_a, "followup-list"), {"status": "open", "overdue": "true"})
        assert overdue.context["object_list"][0] == follow_up
        assert not list(
            client.get(u(tenant_a, "followup-list"), {"status": "closed"}).context["object_list"]
        )


@time_machine.travel(MONDAY + dt.timedelta(hours=2), tick=False)
def test_a_manager_enters_phone_answers_for_an_invitation(client, manager_a, tenant_a, dispatched):
    client.force_login(manager_a.user)
    with tenant_context(tenant_a):
        invitation = Invitation.objects.select_related("round__questionnaire").get(language="en")
    data = {**answers_for(tenant_a, invitation), "channel": Channel.PHONE}
    assert client.post(u(tenant_a, "invitation-answer", invitation.pk), data).status_code == 302
    with tenant_context(tenant_a):
        response = Response.objects.get()
        assert response.channel == Channel.PHONE and response.entered_by == manager_a.user
        assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.ANSWERED
    # the public link of that invitation is now used
    from .conftest import issue_token

    token = issue_token(tenant_a, invitation)
    assert client.get(reverse("survey-answer", args=[token])).status_code == 404


@time_machine.travel(MONDAY + dt.timedelta(hours=2), tick=False)
def test_entering_answers_for_an_answered_invitation_stores_nothing_more(
    client, manager_a, tenant_a, dispatched
):
    client.force_login(manager_a.user)
    with tenant_context(tenant_a):
        invitation = Invitation.objects.select_related("round__questionnaire").get(language="en")
    data = {**answers_for(tenant_a, invitation), "channel": Channel.PHONE}
    url = u(tenant_a, "invitation-answer", invitation.pk)
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert "already been answered" in again.content.decode()
    with tenant_context(tenant_a):
        assert Response.objects.count() == 1


def test_campaign_form_keeps_input_and_names_the_problem(client, manager_a, tenant_a, campaign):
    client.force_login(manager_a.user)
    page = client.post(
        u(tenant_a, "campaign-create"),
        {
            "name": "Quarterly",
            "scope": "agreement",
            "questionnaire": campaign.questionnaire_id,
            "trigger": "quarterly",
            "run_day": "31",
            "answer_window_days": "3",
            "reminder_after_days": "2",
            "reminder_max": "1",
            "low_score_threshold": "3",
            "min_n": "3",
            "fatigue_days": "25",
            "active": "on",
        },
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert 'value="Quarterly"' in html and "error-summary" in html
    with tenant_context(tenant_a):
        assert Campaign.objects.count() == 1


def test_campaign_create_with_recipients(client, manager_a, tenant_a, campaign):
    client.force_login(manager_a.user)
    contact = campaign.agreement.customer_contact
    page = client.post(
        u(tenant_a, "campaign-create"),
        {
            "name": "Quarterly",
            "scope": "agreement",
            "agreement": campaign.agreement_id,
            "questionnaire": campaign.questionnaire_id,
            "trigger": "quarterly",
            "run_day": "5",
            "answer_window_days": "3",
            "reminder_after_days": "2",
            "reminder_max": "1",
            "low_score_threshold": "3",
            "min_n": "3",
            "fatigue_days": "25",
            "active": "on",
            "recipients": [contact.pk],
            "sampling_percent": "100",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    with tenant_context(tenant_a):
        created = Campaign.objects.get(name="Quarterly")
        assert list(created.recipient_links.values_list("contact_id", flat=True)) == [contact.pk]
        assert created.next_run_at is not None


def _rows(tenant, count):
    for _ in range(count):
        round_ = RoundFactory(tenant=tenant)
        InvitationFactory(tenant=tenant, round=round_)
        FollowUpFactory(tenant=tenant, response__round=round_)
        QuestionnaireFactory(tenant=tenant)


@pytest.mark.parametrize("name", ["campaign-list", "followup-list", "questionnaire-list"])
def test_list_pages_run_a_constant_number_of_queries(
    client, manager_a, tenant_a, name, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager_a.user)
    _rows(tenant_a, 1)
    client.get(u(tenant_a, name))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(u(tenant_a, name)).status_code == 200
    _rows(tenant_a, 6)
    with django_assert_max_num_queries(len(few)):
        assert client.get(u(tenant_a, name)).status_code == 200


class TestCampaignPages(PageIsolationTests):
    factory = CampaignFactory
    url_names = ["surveys:campaign-detail", "surveys:campaign-edit", "surveys:campaign-results"]
    post_url_names = ["surveys:campaign-detail", "surveys:campaign-edit"]
    list_url_names = ["surveys:campaign-list"]

    def marker(self, obj):
        return obj.name


class TestAgreementResultsPage(PageIsolationTests):
    from tests.factories.agreements import AgreementFactory as factory  # noqa: N813

    url_names = ["surveys:agreement-results"]


class TestRoundPages(PageIsolationTests):
    factory = RoundFactory
    url_names = ["surveys:round-detail"]


class TestInvitationPages(PageIsolationTests):
    factory = InvitationFactory
    url_names = ["surveys:invitation-answer"]
    post_url_names = ["surveys:invitation-answer"]


class TestFollowUpPages(PageIsolationTests):
    factory = FollowUpFactory
    url_names = ["surveys:followup-detail"]
    post_url_names = ["surveys:followup-detail"]
    list_url_names = ["surveys:followup-list"]

    def marker(self, obj):
        return obj.campaign.name


class TestQuestionnairePages(PageIsolationTests):
    factory = QuestionnaireFactory
    url_names = ["surveys:questionnaire-detail"]
    post_url_names = ["surveys:questionnaire-detail"]
    # the create form offers the tenant's questionnaires as choices
    list_url_names = ["surveys:questionnaire-list", "surveys:campaign-create"]

    def marker(self, obj):
        return obj.name


class TestQuestionPages(PageIsolationTests):
    from tests.factories.surveys import QuestionFactory as factory  # noqa: N813

    url_names = ["surveys:question-edit"]
    post_url_names = ["surveys:question-edit"]
