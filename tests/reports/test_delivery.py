"""Scheduled delivery: which reports are due (the report day in the agreement's time zone),
a dispatch that publishes once and mails each recipient once however often it runs, and
the mail end to end through a real SMTP server: PDF attached, link followed, acknowledged."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from agreements import services as agreement_services
from reports.models import Report, ReportDelivery, ReportFile
from reports.services import delivery
from slaweb.mail.models import OutboxMessage
from slaweb.tenancy.context import tenant_context
from tests.agreements.conftest import make_active, make_draft
from tests.mail.test_celery import wait_for, worker  # noqa: F401 - the worker fixture

from .delivery_setup import MEMBER_EMAIL, queued_sends, reporting_agreement, run_queued

UTC = dt.UTC
# 2026-11-05 00:00 in Shanghai; 2026-11-04 23:00 in New York (EST, UTC-5).
CN_REPORT_DAY = dt.datetime(2026, 11, 4, 16, 0, tzinfo=UTC)
NY_REPORT_DAY = dt.datetime(2026, 11, 5, 5, 0, tzinfo=UTC)
SEPTEMBER, OCTOBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


def due_at(tenant, instant):
    with tenant_context(tenant):
        return sorted(
            (d.agreement.reference, d.period_kind, d.period_start)
            for d in delivery.due_reports(instant)
        )


def published(tenant, agreement, start):
    """A revision 1 stored as the publisher would (the test only needs it to exist)."""
    from tests.factories.reports import ReportFactory

    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return ReportFactory(
        agreement=agreement, period_start=start, period_end=end, revision=1, tenant=tenant
    )


# -- due ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_report_is_due_from_midnight_of_the_report_day_in_the_agreements_zone(tenant_a):
    cn = reporting_agreement(tenant_a, "SLA-CN")  # CN business hours: Asia/Shanghai
    ny = reporting_agreement(tenant_a, "SLA-NY", zone="America/New_York")
    for agreement in (cn, ny):
        published(tenant_a, agreement, SEPTEMBER)

    assert due_at(tenant_a, CN_REPORT_DAY - dt.timedelta(minutes=1)) == []
    assert due_at(tenant_a, CN_REPORT_DAY) == [("SLA-CN", "month", OCTOBER)]
    assert due_at(tenant_a, NY_REPORT_DAY - dt.timedelta(minutes=1)) == [
        ("SLA-CN", "month", OCTOBER)
    ]
    assert due_at(tenant_a, NY_REPORT_DAY) == [
        ("SLA-CN", "month", OCTOBER),
        ("SLA-NY", "month", OCTOBER),
    ]


@pytest.mark.django_db
def test_the_agreements_own_report_day_counts(tenant_a):
    agreement = reporting_agreement(tenant_a, "SLA-D10", report_day_of_month=10)
    published(tenant_a, agreement, SEPTEMBER)
    day_10 = dt.datetime(2026, 11, 9, 16, 0, tzinfo=UTC)  # 2026-11-10 00:00 Shanghai
    assert due_at(tenant_a, CN_REPORT_DAY) == []
    assert due_at(tenant_a, day_10 - dt.timedelta(seconds=1)) == []
    assert due_at(tenant_a, day_10) == [("SLA-D10", "month", OCTOBER)]


@pytest.mark.django_db
def test_a_missed_run_catches_up_one_month_and_a_published_month_is_not_due(tenant_a):
    agreement = reporting_agreement(tenant_a, "SLA-LATE")
    before_day = CN_REPORT_DAY - dt.timedelta(days=1)
    # Nothing published yet: before the 5th, September's report (due on 5 October) is due.
    assert due_at(tenant_a, before_day) == [("SLA-LATE", "month", SEPTEMBER)]
    # From the 5th on, October's, never further back.
    assert due_at(tenant_a, CN_REPORT_DAY) == [("SLA-LATE", "month", OCTOBER)]
    published(tenant_a, agreement, OCTOBER)
    assert due_at(tenant_a, CN_REPORT_DAY + dt.timedelta(days=20)) == []


@pytest.mark.django_db
def test_only_versions_in_force_in_the_month_are_due(tenant_a, tenant_b):
    reporting_agreement(tenant_a, "SLA-NEW", effective_from=dt.date(2026, 11, 1))
    make_draft(tenant_a, "SLA-DRAFT", effective_to=None)
    with time_machine.travel(dt.datetime(2026, 10, 31, 12, tzinfo=UTC), tick=False):
        ended = reporting_agreement(tenant_a, "SLA-ENDED", effective_to=dt.date(2026, 10, 31))
    with time_machine.travel(CN_REPORT_DAY, tick=False), tenant_context(tenant_a):
        agreement_services.expire(ended)
    reporting_agreement(tenant_b, "SLA-B")  # another tenant's: not in tenant A's list

    # The expired agreement still gets its last month's report; the one that starts in
    # November and the draft get none.
    assert due_at(tenant_a, CN_REPORT_DAY) == [("SLA-ENDED", "month", OCTOBER)]
    assert due_at(tenant_b, CN_REPORT_DAY) == [("SLA-B", "month", OCTOBER)]


@pytest.mark.django_db
def test_quarter_and_year_reports_are_due_where_the_agreement_asks(tenant_a):
    monthly = reporting_agreement(tenant_a, "SLA-M")
    yearly = reporting_agreement(tenant_a, "SLA-Y", report_periods="year")
    assert (monthly.report_periods, yearly.report_periods) == ("month", "year")
    q3, q4, year = dt.date(2026, 7, 1), dt.date(2026, 10, 1), dt.date(2026, 1, 1)
    # On 5 November: October, and the third quarter (its month after ended on 5 October);
    # no year yet (2025's: the agreement was not in force then).
    assert due_at(tenant_a, CN_REPORT_DAY) == [
        ("SLA-M", "month", OCTOBER),
        ("SLA-Y", "month", OCTOBER),
        ("SLA-Y", "quarter", q3),
    ]
    published(tenant_a, yearly, OCTOBER)
    from tests.factories.reports import ReportFactory

    ReportFactory(
        agreement=yearly,
        tenant=tenant_a,
        period_kind="quarter",
        period_start=q3,
        period_end=q4,
        revision=1,
    )
    assert due_at(tenant_a, CN_REPORT_DAY) == [("SLA-M", "month", OCTOBER)]
    # 5 January 2027 in Shanghai: December, the fourth quarter and the year 2026.
    new_year = dt.datetime(2027, 1, 4, 16, 0, tzinfo=UTC)
    assert due_at(tenant_a, new_year) == [
        ("SLA-M", "month", dt.date(2026, 12, 1)),
        ("SLA-Y", "month", dt.date(2026, 12, 1)),
        ("SLA-Y", "quarter", q4),
        ("SLA-Y", "year", year),
    ]
    assert dispatch(tenant_a, new_year) == 4
    with tenant_context(tenant_a):
        kinds = sorted(Report.objects.filter(family=yearly.family).values_list("period_kind"))
        sent = ReportDelivery.objects.filter(report__period_kind="year").count()
    assert kinds == [("month",), ("month",), ("quarter",), ("quarter",), ("year",)]
    assert sent == 3  # the year's report goes to each recipient too


# -- dispatch ----------------------------------------------------------------------------


def dispatch(tenant, instant=CN_REPORT_DAY):
    with time_machine.travel(instant, tick=False), tenant_context(tenant):
        return delivery.dispatch()


@pytest.mark.django_db
def test_dispatch_publishes_once_and_mails_each_recipient_once_however_often_it_runs(
    tenant_a, monkeypatch
):
    agreement = reporting_agreement(tenant_a, "SLA-ONCE")
    real_due = delivery.due_reports
    # A doubled run: the same due report twice in one pass (as two workers would see it).
    monkeypatch.setattr(delivery, "due_reports", lambda now=None: real_due(now) * 2)

    assert dispatch(tenant_a) == 1
    assert dispatch(tenant_a) == 0  # published: no longer due
    with tenant_context(tenant_a):
        report = Report.objects.get()
        assert (report.family, report.period_start, report.revision) == (
            agreement.family,
            OCTOBER,
            1,
        )
        assert report.agreement_id == agreement.pk
        again = delivery.send(report)  # a retried send
        deliveries = {d.email: d for d in ReportDelivery.objects.filter(report=report)}
        messages = list(OutboxMessage.objects.order_by("to_address"))
        files = sorted(ReportFile.objects.values_list("format", "language", "state"))
    assert len(again) == 3
    assert set(deliveries) == {
        "li.sla-once@customer.example",
        "anna.sla-once@customer.example",
        "zhang.wei@provider.example",
    }
    assert deliveries["li.sla-once@customer.example"].language == "zh-hans"
    assert deliveries["anna.sla-once@customer.example"].language == "en"
    assert deliveries["zhang.wei@provider.example"].language == tenant_a.language
    assert deliveries["zhang.wei@provider.example"].side == "provider"
    assert sorted(m.to_address for m in messages) == sorted(deliveries)
    assert {m.key for m in messages} == {delivery.outbox_key(d) for d in deliveries.values()}
    # The PDF is built once per language and stored with the revision.
    assert files == [("pdf", "en", "ready"), ("pdf", "zh-hans", "ready")]
    # The link expires after REPORT_LINK_DAYS (60 by default).
    expiry = deliveries["anna.sla-once@customer.example"].expires_at
    assert expiry == CN_REPORT_DAY + dt.timedelta(days=60)


@pytest.mark.django_db
def test_a_member_of_the_tenant_gets_the_report_page_not_a_public_link(tenant_a, manager_a):
    reporting_agreement(tenant_a, "SLA-MEM", member=True)
    dispatch(tenant_a)
    with tenant_context(tenant_a):
        member = OutboxMessage.objects.get(to_address=MEMBER_EMAIL)
        outsider = OutboxMessage.objects.get(to_address="zhang.wei@provider.example")
    assert f"/t/{tenant_a.slug}/reports/agreements/" in member.body_text
    assert "/r/" not in member.body_text
    assert re.search(r"http://\S+/r/\S+/", outsider.body_text)


@pytest.mark.django_db
def test_an_agreement_without_recipients_is_published_and_mails_nobody(tenant_a):
    make_active(tenant_a, "SLA-QUIET", effective_to=None)
    assert dispatch(tenant_a) == 1
    with tenant_context(tenant_a):
        assert Report.objects.count() == 1
        assert ReportDelivery.objects.count() == 0
        assert OutboxMessage.objects.count() == 0


# -- end to end --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_mail_arrives_with_the_pdf_and_its_link_shows_and_acknowledges_the_report(
    tenant_a, smtp_inbox, monkeypatch
):
    calls = queued_sends(monkeypatch)
    agreement = reporting_agreement(tenant_a, "SLA-E2E")
    dispatch(tenant_a)
    run_queued(calls)

    assert sorted(m["X-Rcpt-To"] for m in smtp_inbox.messages) == [
        "anna.sla-e2e@customer.example",
        "li.sla-e2e@customer.example",
        "zhang.wei@provider.example",
    ]
    anna = next(m for m in smtp_inbox.messages if m["X-Rcpt-To"].startswith("anna"))
    assert "SLA-E2E" in anna["Subject"]
    [pdf] = [part for part in anna.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "SLA-E2E-2026-10.pdf"
    content = pdf.get_content()
    assert content[:5] == b"%PDF-"
    assert len(PdfReader(io.BytesIO(content)).pages) >= 1
    text = anna.get_body(preferencelist=("plain",)).get_content()
    url = re.search(r"http://\S+(/r/\S+/)", text).group(1)
    li = next(m for m in smtp_inbox.messages if m["X-Rcpt-To"].startswith("li."))
    assert "服务报告" in li["Subject"] and "2026年10月" in li["Subject"]  # in Chinese

    browser = Client()
    with time_machine.travel(CN_REPORT_DAY + dt.timedelta(days=1), tick=False):
        page = browser.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert agreement.title in body
        assert "Acknowledge the report" in body
        assert 'value="Anna Smith"' in body  # the name is prefilled from the delivery
        pdf_page = browser.get(url + "pdf/")
        assert pdf_page.status_code == 200 and pdf_page.content[:5] == b"%PDF-"

        answer = browser.post(url + "?lang=en", {"name": "Anna Smith, CIO"})
        assert answer.status_code == 302
        shown = browser.get(answer["Location"]).content.decode()
        assert "Acknowledged by Anna Smith, CIO" in shown

    with time_machine.travel(CN_REPORT_DAY + dt.timedelta(days=2), tick=False):
        # Someone else submits again: the first acknowledgement stays.
        again = browser.post(url, {"name": "Somebody Else"}, follow=True)
        assert "Acknowledged by Anna Smith, CIO" in again.content.decode()
    with tenant_context(tenant_a):
        row = ReportDelivery.objects.get(email="anna.sla-e2e@customer.example")
    assert row.acknowledged_name == "Anna Smith, CIO"
    assert row.acknowledged_at == CN_REPORT_DAY + dt.timedelta(days=1)
    assert row.opened_at == CN_REPORT_DAY + dt.timedelta(days=1)


# -- with a real Celery worker -----------------------------------------------------------


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_beat_job_delivered_twice_mails_each_recipient_once(tenant_a, smtp_inbox, worker):  # noqa: F811
    from reports import tasks

    reporting_agreement(tenant_a, "SLA-BEAT")
    with time_machine.travel(CN_REPORT_DAY + dt.timedelta(hours=1), tick=True):
        tasks.dispatch_due_reports.delay()
        tasks.dispatch_due_reports.delay()  # a retry, or a second beat
        assert wait_for(lambda: len(smtp_inbox.messages) == 3, timeout=60)
        time.sleep(2)
    assert len(smtp_inbox.messages) == 3
    assert len({m["X-Rcpt-To"] for m in smtp_inbox.messages}) == 3
    with tenant_context(tenant_a):
        assert Report.objects.count() == 1
        assert ReportDelivery.objects.count() == 3


# -- published by hand -------------------------------------------------------------------


def publish_url(tenant, agreement, name="reports:publish"):
    from django.urls import reverse

    return reverse(name, args=[tenant.slug, agreement.family, "2026-10"])


@pytest.mark.django_db
def test_publishing_by_hand_queues_the_mail_only_when_asked(
    client, tenant_a, manager_a, monkeypatch
):
    from reports import tasks

    queued = []
    monkeypatch.setattr(tasks.send_report, "delay_on_commit", lambda *a: queued.append(a))
    agreement = reporting_agreement(tenant_a, "SLA-HAND")
    client.force_login(manager_a.user)
    with time_machine.travel(CN_REPORT_DAY, tick=False):
        first = client.post(publish_url(tenant_a, agreement))  # the box left unticked
        assert first.status_code == 302 and queued == []
        again = client.post(
            publish_url(tenant_a, agreement, "reports:republish"),
            {"reason": "Ticket corrected", "send": "on"},
        )
        assert again.status_code == 302
        page = client.get(again["Location"]).content.decode()
    with tenant_context(tenant_a):
        second = Report.objects.get(revision=2)
    assert queued == [(tenant_a.pk, second.pk)]
    assert "emailed to the report&#x27;s recipients" in page


@pytest.mark.django_db
def test_the_api_sends_a_published_revision_only_when_asked(tenant_a, manager_a, monkeypatch):
    from django.urls import reverse

    from reports import tasks
    from tests.conftest import api_client_for

    queued = []
    monkeypatch.setattr(tasks.send_report, "delay_on_commit", lambda *a: queued.append(a))
    agreement = reporting_agreement(tenant_a, "SLA-APIS")
    api, url = api_client_for(manager_a), reverse("api:report-publish")
    body = {"agreement": agreement.pk, "period": "2026-10"}
    with time_machine.travel(CN_REPORT_DAY, tick=False):
        first = api.post(url, body, format="json")
        second = api.post(url, {**body, "reason": "Corrected", "send": True}, format="json")
    assert first.status_code == 201 and second.status_code == 201
    assert queued == [(tenant_a.pk, second.json()["id"])]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_report_published_by_hand_reaches_its_recipients_once(
    client,
    tenant_a,
    manager_a,
    smtp_inbox,
    worker,  # noqa: F811
):
    agreement = reporting_agreement(tenant_a, "SLA-BYHAND")
    client.force_login(manager_a.user)
    with time_machine.travel(CN_REPORT_DAY - dt.timedelta(days=2), tick=True):
        response = client.post(publish_url(tenant_a, agreement), {"send": "on"})
        assert response.status_code == 302
        assert wait_for(lambda: len(smtp_inbox.messages) == 3, timeout=60)
    # On the report day the dispatcher finds the month published: nobody gets it twice.
    assert dispatch(tenant_a, CN_REPORT_DAY) == 0
    time.sleep(1)
    assert len(smtp_inbox.messages) == 3
    assert {m["X-Rcpt-To"] for m in smtp_inbox.messages} == {
        "li.sla-byhand@customer.example",
        "anna.sla-byhand@customer.example",
        "zhang.wei@provider.example",
    }
    assert all(m.get_content_type() == "multipart/mixed" for m in smtp_inbox.messages)


@pytest.mark.django_db
def test_the_send_task_of_another_tenant_finds_no_report(tenant_a, tenant_b):
    from reports import tasks

    reporting_agreement(tenant_a, "SLA-OWN")
    dispatch(tenant_a)
    with tenant_context(tenant_a):
        report = Report.objects.get()
        sent = OutboxMessage.objects.count()
    with pytest.raises(Report.DoesNotExist):
        tasks.send_report.apply(args=[tenant_b.pk, report.pk]).get()
    assert tasks.send_report.apply(args=[tenant_a.pk, report.pk]).get() == 3  # a retry
    with tenant_context(tenant_a):
        assert OutboxMessage.objects.count() == sent == 3
