"""End to end over a real SMTP server (aiosmtpd): a round is dispatched, the mail arrives
with the right headers, the link in it is followed, the answer is stored and the low
score opens a follow-up; a 5xx marks the contact bounced; one-click unsubscribe works
without cookies. The outbox tasks queued on commit are run in-process, in order."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from agreements.choices import EmailStatus
from agreements.models import Contact
from slaweb.mail import services as mail
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from surveys import services
from surveys.choices import InvitationStatus
from surveys.models import FollowUp, Invitation, Response
from tests.mail.conftest import answer_rcpt

from .conftest import MONDAY, answers_for, dispatch, make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """The outbox's tasks queued on commit, to run here instead of through the broker."""
    calls = []
    monkeypatch.setattr(mail, "_queue", lambda name, *args, **kw: calls.append((name, args)))
    return calls


def run_queued(queued):
    while queued:
        name, args = queued.pop(0)
        if name == "send_messages":  # a round's mails, in batches
            mail.deliver_many(*args)
        else:
            assert name == "send_message"
            mail.deliver(*args)


def test_dispatch_mail_link_answer_follow_up_and_bounce(tenant_a, smtp_inbox, queued, admin_a):
    campaign = make_campaign(tenant_a)
    with tenant_context(tenant_a):
        li = campaign.agreement.customer_contact
        anna = Contact.objects.get(language="en")
    answer_rcpt(smtp_inbox, {anna.email: ["550 No such user"]})
    with time_machine.travel(MONDAY, tick=True):
        dispatch(tenant_a, campaign)
        run_queued(queued)

        assert len(smtp_inbox.messages) == 1
        message = smtp_inbox.messages[0]
        assert message["X-Rcpt-To"] == li.email
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = re.search(r"<(\S+)>", str(message["List-Unsubscribe"])).group(1)
        assert message["Reply-To"] == "zhang.wei@provider.example"
        assert tenant_a.name in message["From"]
        assert "2026年5月" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]{43}/", text).group(0)
        html = message.get_body(("html",)).get_content()
        assert link in html

        # the 550 marked Anna bounced; her invitation too
        with tenant_context(tenant_a):
            assert Contact.objects.get(pk=anna.pk).email_status == EmailStatus.BOUNCED
            assert Invitation.objects.get(contact=anna).status == InvitationStatus.BOUNCED
            # the body with the secret link is not kept once sent
            assert OutboxMessage.objects.get(to_address=li.email).body_text == ""

        browser = Client()
        path = urlsplit(link).path
        page = browser.get(path)
        assert (
            page.status_code == 200 and "您对本次服务的响应速度是否满意？" in page.content.decode()
        )
        with tenant_context(tenant_a):
            invitation = Invitation.objects.select_related("round__questionnaire").get(contact=li)
        answered = browser.post(path, answers_for(tenant_a, invitation, scores=(2, 4, 4, 3)))
        assert answered.status_code == 302
        assert browser.get(path).status_code == 404  # used

        with tenant_context(tenant_a):
            response = Response.objects.get()
            assert response.contact_id == li.pk
            follow_up = FollowUp.objects.get()
            assert follow_up.response_id == response.pk and follow_up.lowest_score == 2

    # one-click unsubscribe (RFC 8058): a POST without cookies or CSRF token
    mail_client = Client(enforce_csrf_checks=True)
    assert mail_client.get(urlsplit(unsubscribe).path).status_code == 200
    with tenant_context(tenant_a):
        assert Contact.objects.get(pk=li.pk).email_status == EmailStatus.OK  # GET changes nothing
    done = mail_client.post(urlsplit(unsubscribe).path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with tenant_context(tenant_a):
        assert Contact.objects.get(pk=li.pk).email_status == EmailStatus.OPTED_OUT

    # the follow-up is overdue after 2 working days: escalated by mail once
    with time_machine.travel(MONDAY + dt.timedelta(days=4), tick=True):
        with tenant_context(tenant_a):
            assert services.escalate_overdue() == 1
            assert services.escalate_overdue() == 0
        run_queued(queued)
    escalations = [m for m in smtp_inbox.messages if "follow-up" in m["Subject"].lower()]
    assert sorted(m["X-Rcpt-To"] for m in escalations) == sorted(
        ["zhang.wei@provider.example", admin_a.user.email]
    )


def test_reminders_go_only_to_those_who_have_not_answered(tenant_a, smtp_inbox, queued):
    campaign = make_campaign(tenant_a, reminder_after_days=1, reminder_max=2, answer_window_days=5)
    with time_machine.travel(MONDAY, tick=True):
        dispatch(tenant_a, campaign)
        run_queued(queued)
        with tenant_context(tenant_a):
            answered = Invitation.objects.select_related("round__questionnaire").get(language="en")
            values = {int(k[1:]): v for k, v in answers_for(tenant_a, answered).items()}
            services.submit_response(answered, values)
    assert len(smtp_inbox.messages) == 2
    # Tuesday: not yet (the first reminder is due after 1 working day, at Tuesday's end)
    with time_machine.travel(MONDAY + dt.timedelta(hours=20), tick=True), tenant_context(tenant_a):
        assert services.send_reminders() == 0
    with time_machine.travel(MONDAY + dt.timedelta(days=1, hours=16), tick=True):
        with tenant_context(tenant_a):
            assert services.send_reminders() == 1
            assert services.send_reminders() == 0  # claimed: never twice
        run_queued(queued)
        reminder = smtp_inbox.messages[-1]
        assert reminder["X-Rcpt-To"] == campaign.agreement.customer_contact.email
        assert "提醒" in reminder["Subject"] or "Reminder" in reminder["Subject"]
        text = reminder.get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]{43}/", text)
        assert Client().get(urlsplit(link.group(0)).path).status_code == 200


def test_a_token_of_tenant_a_reveals_nothing_of_tenant_b(tenant_a, tenant_b, smtp_inbox, queued):
    a = make_campaign(tenant_a, "SLA-A")
    make_campaign(tenant_b, "SLA-B")
    with time_machine.travel(MONDAY, tick=True):
        dispatch(tenant_a, a)
        run_queued(queued)
        link = re.search(
            r"/s/[A-Za-z0-9_-]{43}/", smtp_inbox.messages[0].get_body(("plain",)).get_content()
        )
        html = Client().get(link.group(0)).content.decode()
    assert tenant_a.name in html and tenant_b.name not in html and "SLA-B" not in html
