"""Publishing pages: publish and republish (HTMX and without JavaScript), errors beside the
field, the revisions list and the diff page; isolation and roles."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reports import periods
from reports.models import Report
from reports.services.publishing import publish
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import AuditEvent
from tests.factories.reports import ReportFactory
from tests.isolation import PageIsolationTests
from tests.metrics.conftest import make_active

from . import scenario

pytestmark = pytest.mark.django_db


def two_revisions(tenant):
    """A report with two revisions; returns the second."""
    first = ReportFactory(tenant=tenant, revision=1)
    return ReportFactory(tenant=tenant, agreement=first.agreement, revision=2, reason="Fix")


class TestPublishingPageIsolation(PageIsolationTests):
    factory = staticmethod(two_revisions)
    url_names = ["reports:revisions", "reports:diff", "reports:publish", "reports:republish"]
    post_url_names = ["reports:publish", "reports:republish"]

    def url_args(self, obj, tenant):
        return [obj.family, periods.label(obj.period_kind, obj.period_start)]


@pytest.fixture
def active(tenant_a):
    return make_active(tenant_a, "SLA-P1", effective_from=dt.date(2026, 1, 1))


def count(tenant) -> int:
    with tenant_context(tenant):
        return Report.objects.count()


def url(name, tenant, agreement, period="2026-03"):
    return reverse(name, args=[tenant.slug, agreement.family, period])


def test_publish_without_javascript_then_republish_with_a_reason(
    client, manager_a, tenant_a, active
):
    client.force_login(manager_a.user)
    with time_machine.travel(scenario.NOW, tick=False):
        response = client.post(url("reports:publish", tenant_a, active))
        assert response.status_code == 302
        assert response["Location"] == url("reports:report", tenant_a, active)
        # The report page's panel now offers a new revision (and links the revisions).
        page = client.get(response["Location"]).content.decode()
        assert 'id="publishing-panel"' in page
        assert url("reports:republish", tenant_a, active) in page
        assert url("reports:revisions", tenant_a, active) in page
        # No reason: the form comes back with the error beside the field; nothing is written.
        response = client.post(url("reports:republish", tenant_a, active), {"reason": "  "})
        assert response.status_code == 422
        page = response.content.decode()
        assert 'id="id_reason_error"' in page and 'aria-invalid="true"' in page
        assert 'id="error-summary"' in page and 'href="#id_reason"' in page
        assert count(tenant_a) == 1
        response = client.post(
            url("reports:republish", tenant_a, active), {"reason": "Ticket corrected"}
        )
        assert response.status_code == 302
    with tenant_context(tenant_a):
        second = Report.objects.get(revision=2)
        # Audited like every write: who published which revision (the snapshot stays out).
        events = list(
            AuditEvent.objects.filter(model="reports.report", action="create").order_by("pk")
        )
    assert second.reason == "Ticket corrected" and second.published_by == manager_a.user
    assert [e.actor_id for e in events] == [manager_a.user_id] * 2
    assert events[1].changes["revision"] == [None, 2] and "snapshot" not in events[1].changes


def test_htmx_swaps_the_panel_on_errors_and_reloads_after_publishing(
    client, manager_a, tenant_a, active
):
    client.force_login(manager_a.user)
    htmx = {"HTTP_HX_REQUEST": "true"}
    with time_machine.travel(scenario.NOW, tick=False):
        running = client.post(url("reports:publish", tenant_a, active, "2026-04"), **htmx)
        assert running.status_code == 422
        page = running.content.decode()
        assert page.startswith("<section") and 'id="publishing-panel"' in page
        assert "still running" in page
        done = client.post(url("reports:publish", tenant_a, active), **htmx)
        assert done.status_code == 200
        assert done["HX-Redirect"] == url("reports:report", tenant_a, active)
        again = client.post(url("reports:republish", tenant_a, active), {"reason": ""}, **htmx)
        assert again.status_code == 422
        assert 'id="id_reason_error"' in again.content.decode()
        assert "<html" not in again.content.decode()
    assert count(tenant_a) == 1


def test_a_viewer_sees_the_panel_without_forms_and_cannot_post(client, viewer_a, tenant_a, active):
    client.force_login(viewer_a.user)
    with time_machine.travel(scenario.NOW, tick=False):
        page = client.get(url("reports:report", tenant_a, active)).content.decode()
        assert 'id="publishing-panel"' in page
        assert url("reports:publish", tenant_a, active) not in page
        assert client.post(url("reports:publish", tenant_a, active)).status_code == 403
    assert count(tenant_a) == 0


def test_revisions_and_diff_pages(client, viewer_a, tenant_a, scope_a):
    with time_machine.travel(scenario.NOW, tick=False):
        agreement = scenario.build(scope_a)
        publish(agreement, "month", scenario.MARCH)
        scenario.ingest("tickets", [scenario.month_tickets(scenario.MARCH, "ttmt")[3]])
        scenario.compute(scope_a)
        publish(agreement, "month", scenario.MARCH, reason="T-202603-4 answered in time")
    client.force_login(viewer_a.user)
    page = client.get(url("reports:revisions", tenant_a, agreement)).content.decode()
    assert "T-202603-4 answered in time" in page
    assert "?from=1&amp;to=2" in page
    response = client.get(url("reports:diff", tenant_a, agreement))
    assert response.status_code == 200
    changes = response.context["changes"]
    rate = next(c for c in changes if c["path"] == "metrics[Response].compliance_rate")
    assert (rate["old"], rate["new"]) == ("40", "60")
    assert str(rate["section"]) == "Indicators" and rate["where"] == "Response"
    # The record no longer behind the breach is one row, not one per field.
    gone = [c for c in changes if "T-202603-4" in c["path"]]
    assert len(gone) == 1 and gone[0]["change"] == "removed"
    assert (str(gone[0]["old"]), gone[0]["new"]) == ("listed", "—")
    page = response.content.decode()
    assert "compliance rate (%)" in page
    # Unknown revisions, or a revision against itself: 404.
    assert client.get(url("reports:diff", tenant_a, agreement), {"from": 7}).status_code == 404
    same = client.get(url("reports:diff", tenant_a, agreement), {"from": 2, "to": 2})
    assert same.status_code == 404
    # Chinese page.
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url("reports:diff", tenant_a, agreement)).content.decode()
    assert 'lang="zh-hans"' in page or "zh-hans" in page


def test_diff_needs_two_revisions(client, viewer_a, tenant_a):
    with tenant_context(tenant_a):
        report = ReportFactory(tenant=tenant_a, revision=1)
    client.force_login(viewer_a.user)
    label = periods.label(report.period_kind, report.period_start)
    diff_url = reverse("reports:diff", args=[tenant_a.slug, report.family, label])
    assert client.get(diff_url).status_code == 404
