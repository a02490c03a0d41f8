"""API of published reports: isolation, roles, list and detail, revisions, diff, publish,
filters, constant queries on the list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reports.models import Report
from slaweb.tenancy.context import tenant_context
from tests.conftest import api_client_for
from tests.factories.reports import ReportFactory
from tests.isolation import APIIsolationTests
from tests.metrics.conftest import make_active

from . import scenario

pytestmark = pytest.mark.django_db


class TestReportIsolation(APIIsolationTests):
    basename = "report"
    factory = ReportFactory

    def test_revisions_and_diff_of_another_tenants_report_are_404(self, api, other):
        for action in ("revisions", "diff"):
            url = reverse(f"api:report-{action}", args=[other.pk])
            assert api.get(url).status_code == 404

    def test_publishing_another_tenants_agreement_is_refused(self, api, tenant_b, other):
        before = Report.objects.count
        response = api.post(
            reverse("api:report-publish"),
            {"agreement": other.agreement_id, "period": "2026-03"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["agreement"] == ["No such agreement."]
        with tenant_context(tenant_b):
            assert before() == 1


@pytest.fixture
def active(tenant_a):
    return make_active(tenant_a, "SLA-API", effective_from=dt.date(2026, 1, 1))


def test_publish_read_and_republish(manager_a, viewer_a, active, tenant_a):
    api = api_client_for(manager_a)
    url = reverse("api:report-publish")
    with time_machine.travel(scenario.NOW, tick=False):
        response = api.post(url, {"agreement": active.pk, "period": "2026-03"}, format="json")
        assert response.status_code == 201, response.content
        first = response.json()
        assert first["revision"] == 1 and first["period"] == "2026-03"
        assert first["reference"] == "SLA-API" and first["period_kind"] == "month"
        assert first["snapshot"]["schema"] == 1 and first["snapshot"]["health"] == first["health"]
        # Again without a reason: refused beside the field.
        again = api.post(url, {"agreement": active.pk, "period": "2026-03"}, format="json")
        assert again.status_code == 400 and "reason" in again.json()
        again = api.post(
            url, {"agreement": active.pk, "period": "2026-03", "reason": "Fixed"}, format="json"
        )
        assert again.status_code == 201 and again.json()["revision"] == 2
    viewer = api_client_for(viewer_a)
    listed = viewer.get(reverse("api:report-list")).json()["results"]
    assert [r["revision"] for r in listed] == [2, 1]
    assert "snapshot" not in listed[0]
    detail = viewer.get(reverse("api:report-detail", args=[first["id"]])).json()
    assert detail["snapshot"] == first["snapshot"]
    revisions = viewer.get(reverse("api:report-revisions", args=[first["id"]])).json()
    assert [r["revision"] for r in revisions] == [2, 1]
    second_id = revisions[0]["id"]
    changes = viewer.get(reverse("api:report-diff", args=[second_id])).json()
    assert isinstance(changes, list)  # no data changed: only what differs is listed
    assert all(c["old"] != c["new"] for c in changes)
    bad = viewer.get(reverse("api:report-diff", args=[second_id]), {"against": 9})
    assert bad.status_code == 400
    # Latest revisions only, and by period.
    latest = viewer.get(reverse("api:report-list"), {"latest": "true"}).json()["results"]
    assert [r["revision"] for r in latest] == [2]
    by_period = viewer.get(reverse("api:report-list"), {"period": "2026-Q1"}).json()
    assert by_period["results"] == []
    wrong = viewer.get(reverse("api:report-list"), {"period": "March"})
    assert wrong.status_code == 400 and "period" in wrong.json()


def test_publish_refusals(manager_a, active):
    api = api_client_for(manager_a)
    url = reverse("api:report-publish")
    with time_machine.travel(scenario.NOW, tick=False):
        cases = {
            "period": {"agreement": active.pk, "period": "2026-13"},
            "agreement": {"agreement": 987654, "period": "2026-03"},
        }
        for field, body in cases.items():
            response = api.post(url, body, format="json")
            assert response.status_code == 400 and field in response.json(), response.content
        running = api.post(url, {"agreement": active.pk, "period": "2026-04"}, format="json")
        assert running.status_code == 400 and "period" in running.json()
    assert not Report.objects.exists()


def test_viewer_cannot_publish(viewer_a, active):
    response = api_client_for(viewer_a).post(
        reverse("api:report-publish"), {"agreement": active.pk, "period": "2026-03"}
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_the_list_runs_a_constant_number_of_queries(
    viewer_a, tenant_a, django_assert_max_num_queries
):
    with tenant_context(tenant_a):
        for month in range(1, 13):
            ReportFactory(
                tenant=tenant_a,
                period_start=dt.date(2025, month, 1),
                period_end=dt.date(2025 + month // 12, month % 12 + 1, 1),
            )
    api = api_client_for(viewer_a)
    with django_assert_max_num_queries(12):
        response = api.get(reverse("api:report-list"))
    assert response.status_code == 200 and response.json()["count"] == 12
