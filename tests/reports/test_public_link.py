"""The emailed report link /r/<token>/: it shows the delivered revision, records the first
opening and one acknowledgement; tampered, expired, unknown and other tenants' links get
the same calm 404; it is rate limited. Managers see the deliveries of a revision."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import ReportDelivery
from reports.services import delivery as service
from slaweb.tenancy.context import tenant_context
from tests.factories.reports import ReportDeliveryFactory, ReportFactory, ReportFileFactory
from tests.isolation import PageIsolationTests

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 6, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sent(tenant_a):
    return ReportDeliveryFactory(
        tenant=tenant_a,
        name="Anna Smith",
        email="anna@customer.example",
        language="en",
        expires_at=NOW + dt.timedelta(days=60),
    )


def link(delivery) -> str:
    return reverse("report-link", args=[service.make_token(delivery)])


def stored(delivery) -> ReportDelivery:
    with tenant_context(delivery.tenant_id):
        return ReportDelivery.objects.get(pk=delivery.pk)


def test_the_link_shows_the_revision_and_records_the_first_opening_only(client, sent):
    page = client.get(link(sent))
    assert page.status_code == 200
    body = page.content.decode()
    assert sent.report.agreement.title in body
    assert 'value="Anna Smith"' in body  # the name is prefilled
    assert 'lang="en"' in body
    assert stored(sent).opened_at == NOW
    with time_machine.travel(NOW + dt.timedelta(hours=3), tick=False):
        assert client.get(link(sent)).status_code == 200
    assert stored(sent).opened_at == NOW  # the first opening stays
    chinese = client.get(link(sent) + "?lang=zh-hans").content.decode()
    assert '<html lang="zh-Hans">' in chinese


def test_acknowledging_needs_a_name_and_is_recorded_once(client, sent):
    refused = client.post(link(sent), {"name": "   "})
    assert refused.status_code == 400
    assert "Enter your name to acknowledge the report." in refused.content.decode()
    assert stored(sent).acknowledged_at is None

    done = client.post(link(sent), {"name": "Anna Smith, CIO"})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Acknowledged by Anna Smith, CIO" in page
    assert "Acknowledge the report" not in page  # no form any more

    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        again = client.post(link(sent), {"name": "Someone Else"}, follow=True)
    assert "Acknowledged by Anna Smith, CIO" in again.content.decode()
    row = stored(sent)
    assert (row.acknowledged_name, row.acknowledged_at) == ("Anna Smith, CIO", NOW)


def test_unusable_links_get_the_same_calm_404_and_change_nothing(client, sent, tenant_b):
    token = service.make_token(sent)
    calm = client.get(reverse("report-link", args=["not-a-token"]))
    assert calm.status_code == 404
    assert "This link cannot be used" in calm.content.decode()

    foreign = ReportDeliveryFactory(tenant=tenant_b, expires_at=NOW + dt.timedelta(days=60))
    assert client.get(link(foreign)).status_code == 200  # its own link works
    posing = signing.dumps({"t": sent.tenant_id, "d": foreign.pk}, salt=service.SALT)
    other_salt = signing.dumps({"t": sent.tenant_id, "d": sent.pk}, salt="another.purpose")
    unusable = [
        token[:-3] + ("abc" if not token.endswith("abc") else "xyz"),  # tampered
        posing,  # tenant A's id with tenant B's delivery: not found under A's scope
        other_salt,
    ]
    for bad in unusable:
        for path in (f"/r/{bad}/", f"/r/{bad}/pdf/"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.content == calm.content, path
        assert client.post(f"/r/{bad}/", {"name": "Mallory"}).status_code == 404

    # Expired: the delivery's own date passes...
    with time_machine.travel(sent.expires_at + dt.timedelta(seconds=1), tick=False):
        assert client.get(f"/r/{token}/").content == calm.content
        assert client.post(f"/r/{token}/", {"name": "Late"}).status_code == 404
    # ...and no link outlives REPORT_LINK_DAYS, whatever its row says.
    with tenant_context(sent.tenant_id):
        ReportDelivery.objects.filter(pk=sent.pk).update(expires_at=NOW + dt.timedelta(days=400))
    with time_machine.travel(NOW + dt.timedelta(days=61), tick=False):
        assert client.get(f"/r/{token}/").status_code == 404
    row = stored(sent)
    assert row.opened_at is None and row.acknowledged_at is None
    assert stored(foreign).acknowledged_at is None


def test_the_pdf_of_the_revision_is_served_from_storage(client, sent):
    assert client.get(link(sent) + "pdf/").status_code == 404  # nothing stored yet
    assert "Download the PDF" not in client.get(link(sent)).content.decode()
    ReportFileFactory(report=sent.report, format="pdf", language="en", content=b"%PDF-1.7 x")
    assert "Download the PDF" in client.get(link(sent)).content.decode()
    response = client.get(link(sent) + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 x"
    assert response["Content-Disposition"].startswith("attachment;")


def test_the_link_is_rate_limited(client, sent, settings):
    settings.REPORT_LINK_RATE = "3/m"
    url = link(sent)
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert client.get(url).status_code == 429
    assert client.get(url + "pdf/").status_code == 429  # pages and downloads together


# -- the managers' panel -----------------------------------------------------------------


def deliveries_url(report) -> str:
    return reverse("reports:deliveries", args=[report.tenant.slug, report.pk])


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_managers_see_who_received_opened_and_acknowledged_a_revision(
    client, sent, manager_a, viewer_a
):
    with tenant_context(sent.tenant_id):
        service.acknowledge(sent, "Anna Smith, CIO")
    ReportDeliveryFactory(report=sent.report, name="Zhang Wei", email="zhang@provider.example")
    client.force_login(manager_a.user)
    page = client.get(deliveries_url(sent.report))
    assert page.status_code == 200
    body = page.content.decode()
    assert "1 of 2 recipients acknowledged this revision." in body
    assert "Acknowledged by Anna Smith, CIO, 2026-11-06 10:00" in body  # Shanghai time
    assert "zhang@provider.example" in body
    fragment = client.get(deliveries_url(sent.report), HTTP_HX_REQUEST="true")
    assert (
        fragment.content.decode().lstrip().startswith('<section class="downloads deliveries-panel"')
    )

    # A constant number of queries, however many recipients.
    few = queries_of(client, deliveries_url(sent.report))
    for n in range(5):
        ReportDeliveryFactory(report=sent.report, email=f"more{n}@customer.example")
    assert queries_of(client, deliveries_url(sent.report)) == few

    client.force_login(viewer_a.user)
    assert client.get(deliveries_url(sent.report)).status_code == 403


def test_a_revision_sent_to_nobody_says_so(client, manager_a, tenant_a):
    report = ReportFactory(tenant=tenant_a)
    client.force_login(manager_a.user)
    page = client.get(deliveries_url(report)).content.decode()
    assert "This revision has not been emailed to anyone." in page


class TestDeliveriesPageIsolation(PageIsolationTests):
    factory = ReportFactory
    url_names = ["reports:deliveries"]
    # "report-link" and "report-link-pdf" are public (outside /t/): another tenant's
    # delivery behind a validly signed token is tested above (posing).


def test_a_token_names_only_its_tenant_and_delivery(sent):
    payload = service.read_token(service.make_token(sent))
    assert payload == service.LinkPayload(sent.tenant_id, sent.pk)
    assert service.read_token("x" + service.make_token(sent)) is None
