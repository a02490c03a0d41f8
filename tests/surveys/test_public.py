"""The public answer page: link lookup, consumption on submit, the calm page, language,
double submits (two threads) and anonymity."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import AuditEvent
from surveys.choices import InvitationStatus
from surveys.models import Answer, FollowUp, Invitation, Response

from .conftest import MONDAY, answers_for, dispatch, issue_token

LATER = MONDAY + dt.timedelta(hours=2)


@pytest.fixture
def invitation(tenant_a, campaign):
    with time_machine.travel(MONDAY, tick=False):
        dispatch(tenant_a, campaign)
    with tenant_context(tenant_a):
        return Invitation.objects.select_related("round__questionnaire", "contact").get(
            language="zh-hans"
        )


def url(token):
    return reverse("survey-answer", args=[token])


@time_machine.travel(LATER, tick=False)
def test_opening_shows_who_asks_about_what_in_the_contacts_language(client, tenant_a, invitation):
    token = issue_token(tenant_a, invitation)
    page = client.get(url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert tenant_a.name in html and "Server operations support" in html
    assert "2026年5月" in html
    assert "您对本次服务的响应速度是否满意？" in html
    assert html.count("<fieldset") == 4 and html.count("<legend>") == 4
    assert 'type="radio"' in html and "非常不满意" in html
    assert 'name="csrfmiddlewaretoken"' in html
    english = client.get(url(token), {"lang": "en"}).content.decode()
    assert "How satisfied are you with the response speed of this service?" in english
    assert "very dissatisfied" in english
    # opening twice consumes nothing
    with tenant_context(tenant_a):
        assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.QUEUED


@time_machine.travel(LATER, tick=False)
def test_the_answer_form_keeps_csrf_protection(tenant_a, invitation):
    """Only the RFC 8058 one-click unsubscribe is exempt; an answer without the form's
    CSRF token is refused and consumes nothing."""
    token = issue_token(tenant_a, invitation)
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post(url(token), answers_for(tenant_a, invitation))
    assert refused.status_code == 403
    with tenant_context(tenant_a):
        assert not Response.objects.exists()
        assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.QUEUED
    page = browser.get(url(token))
    csrf = page.cookies["csrftoken"].value
    accepted = browser.post(
        url(token), {**answers_for(tenant_a, invitation), "csrfmiddlewaretoken": csrf}
    )
    assert accepted.status_code == 302
    with tenant_context(tenant_a):
        assert Response.objects.count() == 1


@time_machine.travel(LATER, tick=False)
def test_submitting_stores_the_answers_once_and_the_link_is_then_used(client, tenant_a, invitation):
    token = issue_token(tenant_a, invitation)
    response = client.post(url(token) + "?lang=zh-hans", answers_for(tenant_a, invitation))
    assert response.status_code == 302
    assert "感谢" in client.get(response["Location"]).content.decode()
    with tenant_context(tenant_a):
        stored = Response.objects.get()
        assert stored.invitation_id == invitation.pk and stored.contact_id == invitation.contact_id
        assert sorted(Answer.objects.exclude(score=None).values_list("score", flat=True)) == [
            4,
            4,
            5,
            5,
        ]
        assert Answer.objects.get(score=None).text == "更快一些"
        assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.ANSWERED
        assert not FollowUp.objects.exists()
    again = client.get(url(token))
    assert again.status_code == 404
    assert client.post(url(token), answers_for(tenant_a, invitation)).status_code == 404
    with tenant_context(tenant_a):
        assert Response.objects.count() == 1


@time_machine.travel(LATER, tick=False)
def test_unknown_expired_and_used_links_get_the_same_calm_page(
    client, tenant_a, invitation, campaign
):
    used = issue_token(tenant_a, invitation)
    client.post(url(used), answers_for(tenant_a, invitation))
    with tenant_context(tenant_a):
        other = Invitation.objects.exclude(pk=invitation.pk).get()
        other.round.__class__.objects.filter(pk=other.round_id).update(closes_at=LATER)
        other.language = "zh-hans"
    expired = issue_token(tenant_a, other)
    pages = [client.get(url(t)) for t in ("x" * 43, used, expired)]
    assert {p.status_code for p in pages} == {404}
    bodies = {
        p.content.decode().replace(t, "")
        for p, t in zip(pages, ("x" * 43, used, expired), strict=True)
    }
    assert len(bodies) == 1


@time_machine.travel(LATER, tick=False)
def test_missing_ratings_are_shown_beside_the_question_and_nothing_is_stored(
    client, tenant_a, invitation
):
    token = issue_token(tenant_a, invitation)
    data = answers_for(tenant_a, invitation)
    first_rating = next(k for k, v in data.items() if v.isdigit())
    del data[first_rating]
    page = client.post(url(token) + "?lang=en", data)
    assert page.status_code == 400
    html = page.content.decode()
    assert f'aria-describedby="id_{first_rating}_error"' in html
    assert 'role="alert"' in html
    assert "更快一些" in html  # what was typed is kept
    with tenant_context(tenant_a):
        assert not Response.objects.exists()
        assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.QUEUED


@time_machine.travel(LATER, tick=False)
def test_a_link_of_tenant_a_never_shows_tenant_b(client, tenant_a, tenant_b, invitation):
    from .conftest import make_campaign

    make_campaign(tenant_b, "SLA-B")
    token = issue_token(tenant_a, invitation)
    html = client.get(url(token)).content.decode()
    assert tenant_b.name not in html


@time_machine.travel(LATER, tick=False)
def test_the_page_is_rate_limited_per_address(settings, tenant_a, invitation):
    settings.SURVEY_ANSWER_RATE = "3/m"
    token = issue_token(tenant_a, invitation)
    client = Client(REMOTE_ADDR=f"10.9.{MONDAY.minute}.{threading.get_ident() % 250}")
    codes = [client.get(url(token)).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


@time_machine.travel(LATER, tick=False)
def test_a_low_score_opens_a_follow_up_for_the_agreements_manager(client, tenant_a, invitation):
    token = issue_token(tenant_a, invitation)
    client.post(url(token), answers_for(tenant_a, invitation, scores=(2, 4, 4, 3)))
    with tenant_context(tenant_a):
        follow_up = FollowUp.objects.get()
        assert follow_up.lowest_score == 2
        assert follow_up.assignee_email == "zhang.wei@provider.example"
        assert follow_up.contact_id == invitation.contact_id
        # 2 working days from Monday 11:00 Shanghai: the end of Wednesday 10 June
        assert follow_up.due_at == dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def anonymous_invitation(tenant_a, anonymous_campaign):
    with time_machine.travel(MONDAY, tick=False):
        dispatch(tenant_a, anonymous_campaign)
    with tenant_context(tenant_a):
        return Invitation.objects.select_related("round__questionnaire", "contact").get(
            language="zh-hans"
        )


def _row_mentions(cursor, table, values) -> bool:
    cursor.execute(f'SELECT * FROM "{table}"')
    text = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    return any(str(v) in text.split() or str(v) in text for v in values)


@time_machine.travel(LATER, tick=False)
def test_an_anonymous_answer_is_tied_to_no_person_in_any_table(
    client, tenant_a, anonymous_invitation
):
    invitation = anonymous_invitation
    token = issue_token(tenant_a, invitation)
    client.post(url(token), answers_for(tenant_a, invitation, scores=(1, 2, 2, 1)))
    with tenant_context(tenant_a):
        response = Response.objects.get()
        assert response.invitation_id is None and response.contact_id is None
        assert response.submitted_at is None
        assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.ANSWERED
        # a low score without consent opens no follow-up (the score still counts)
        assert not FollowUp.objects.exists()
        assert Answer.objects.filter(response=response, score=1).count() == 2
        # no audit row for the response, its answers or the invitation's change
        assert not AuditEvent.objects.filter(
            model__in=["surveys.response", "surveys.answer", "surveys.invitation"]
        ).exists()
        # no column of any survey table holding the response names the contact or invitation
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM surveys_response")
            columns = [c.name for c in cursor.description]
            row = dict(zip(columns, cursor.fetchone(), strict=True))
        assert row["invitation_id"] is None and row["contact_id"] is None
        assert row["submitted_at"] is None
        for answer in Answer.objects.values():
            assert set(answer) == {"id", "tenant_id", "response_id", "question_id", "score", "text"}


@time_machine.travel(LATER, tick=False)
def test_an_anonymous_respondent_who_consents_is_linked_and_followed_up(
    client, tenant_a, anonymous_invitation
):
    invitation = anonymous_invitation
    token = issue_token(tenant_a, invitation)
    data = {**answers_for(tenant_a, invitation, scores=(1, 2, 2, 1)), "may_contact": "on"}
    client.post(url(token), data)
    with tenant_context(tenant_a):
        response = Response.objects.get()
        assert response.may_contact and response.contact_id == invitation.contact_id
        assert FollowUp.objects.get().response_id == response.pk


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_store_exactly_one_response(tenant_a, campaign):
    with time_machine.travel(MONDAY, tick=False):
        dispatch(tenant_a, campaign)
    with tenant_context(tenant_a):
        invitation = Invitation.objects.select_related("round__questionnaire").get(language="en")
    token = issue_token(tenant_a, invitation)
    data = answers_for(tenant_a, invitation)
    barrier = threading.Barrier(2)
    codes = []

    def submit():
        from django.db import connections

        try:
            barrier.wait()
            codes.append(Client().post(url(token), data).status_code)
        finally:
            connections.close_all()

    with time_machine.travel(LATER, tick=False):
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(codes) == [302, 404]
    with tenant_context(tenant_a):
        assert Response.objects.count() == 1
        assert Answer.objects.count() == 5
