"""API of the metrics domain: isolation for every endpoint, roles, bulk upsert over HTTP,
filters, constant queries on lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from metrics.choices import Status
from metrics.models import ClockRecompute, ImprovementAction, Ticket
from slaweb.tenancy.context import tenant_context
from tests.factories.metrics import (
    ComplianceResultFactory,
    CreditResultFactory,
    DeliveryFactory,
    ImprovementActionFactory,
    OutageFactory,
    SampleFactory,
    TicketClockFactory,
    TicketFactory,
)
from tests.factories.metrics_surfaces import ClockRecomputeFactory
from tests.isolation import APIIsolationTests, snapshot

from .conftest import make_active

pytestmark = pytest.mark.django_db


class TestTicketIsolation(APIIsolationTests):
    basename = "ticket"
    factory = TicketFactory

    def test_bulk_cannot_touch_another_tenants_agreement(self, api, tenant_b, other):
        with tenant_context(tenant_b):
            reference = Ticket.objects.get(pk=other.pk).agreement_reference
        body = [
            {
                "agreement": reference,
                "external_id": other.external_id,
                "priority": "P1",
                "opened_at": "2026-03-02T09:00:00+08:00",
            }
        ]
        response = api.post(reverse("api:ticket-bulk"), body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "agreement"


class TestDeliveryIsolation(APIIsolationTests):
    basename = "delivery"
    factory = DeliveryFactory


class TestOutageIsolation(APIIsolationTests):
    basename = "outage"
    factory = OutageFactory


class TestSampleIsolation(APIIsolationTests):
    basename = "sample"
    factory = SampleFactory


class TestClockIsolation(APIIsolationTests):
    basename = "ticketclock"
    factory = TicketClockFactory


class TestResultIsolation(APIIsolationTests):
    basename = "complianceresult"
    factory = ComplianceResultFactory


class TestCreditIsolation(APIIsolationTests):
    basename = "creditresult"
    factory = CreditResultFactory


class TestImprovementActionIsolation(APIIsolationTests):
    basename = "improvementaction"
    factory = ImprovementActionFactory


class TestClockRecomputeIsolation(APIIsolationTests):
    basename = "clockrecompute"
    factory = ClockRecomputeFactory

    def test_running_another_tenants_recompute_again_is_404(self, api, other):
        before = snapshot(other)
        url = reverse("api:clockrecompute-run-again", args=[other.pk])
        assert api.post(url).status_code == 404
        assert snapshot(other) == before


def test_recompute_run_again_for_managers_once_failed(
    api_manager, api_viewer, tenant_a, django_capture_on_commit_callbacks
):
    failed = ClockRecomputeFactory(tenant=tenant_a)
    done = ClockRecomputeFactory(tenant=tenant_a, status=ClockRecompute.Status.DONE, done=10)
    url = reverse("api:clockrecompute-run-again", args=[failed.pk])
    assert api_viewer.post(url).status_code == 403
    with django_capture_on_commit_callbacks() as queued:
        response = api_manager.post(url)
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response.json()["done"] == 0
    assert len(queued) == 1  # the worker's task, sent once the request commits
    with tenant_context(tenant_a):
        assert ClockRecompute.objects.get(pk=failed.pk).status == ClockRecompute.Status.QUEUED
    # Queued now, and the finished one: neither can run again.
    for job in (failed, done):
        again = api_manager.post(reverse("api:clockrecompute-run-again", args=[job.pk]))
        assert again.status_code == 409
        assert "still running or has finished" in again.json()["detail"]
    listed = api_viewer.get(reverse("api:clockrecompute-list"), {"status": "done"}).json()
    assert [row["id"] for row in listed["results"]] == [done.pk]


def ticket(n, **fields):
    return {
        "agreement": "SLA-M1",
        "external_id": f"T-{n}",
        "priority": "P2",
        "opened_at": "2026-03-02T09:00:00+08:00",
        "first_response_at": "2026-03-02T09:30:00+08:00",
        **fields,
    }


def test_bulk_all_or_nothing_then_partial_then_idempotent(api_manager, agreement):
    url = reverse("api:ticket-bulk")
    body = [ticket(1), ticket(2, priority="P7"), ticket(3, opened_at="yesterday")]
    response = api_manager.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"index": 1, "field": "priority", "message": response.json()["errors"][0]["message"]},
            {"index": 2, "field": "opened_at", "message": response.json()["errors"][1]["message"]},
        ],
    }
    with tenant_context(agreement.tenant):
        assert not Ticket.objects.exists()
    response = api_manager.post(f"{url}?partial=true", body, format="json")
    assert response.status_code == 201 and response.json()["created"] == 1
    response = api_manager.post(url, [ticket(1)], format="json")
    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}


def test_viewer_reads_but_cannot_write(api_viewer, agreement):
    assert api_viewer.get(reverse("api:ticket-list")).status_code == 200
    assert (
        api_viewer.post(reverse("api:ticket-bulk"), [ticket(1)], format="json").status_code == 403
    )
    action = ImprovementActionFactory(tenant=agreement.tenant)
    url = reverse("api:improvementaction-detail", args=[action.pk])
    assert api_viewer.patch(url, {"status": "done"}, format="json").status_code == 403


def test_manager_updates_an_action_but_not_its_trigger(api_manager, agreement):
    action = ImprovementActionFactory(tenant=agreement.tenant)
    url = reverse("api:improvementaction-detail", args=[action.pk])
    response = api_manager.patch(
        url,
        {"status": "in_progress", "notes": "Root cause: disk", "streak_start": "2020-01-01"},
        format="json",
    )
    assert response.status_code == 200
    with tenant_context(agreement.tenant):
        action = ImprovementAction.objects.get(pk=action.pk)
    assert action.status == "in_progress" and action.notes == "Root cause: disk"
    assert action.streak_start == dt.date(2026, 1, 1)
    assert (
        api_manager.post(reverse("api:improvementaction-list"), {}, format="json").status_code
        == 405
    )
    assert api_manager.delete(url).status_code == 405


def test_results_filters(api_viewer, tenant_a):
    other = make_active(tenant_a, "SLA-OTHER")
    first = ComplianceResultFactory(tenant=tenant_a, status=Status.BREACHED)
    ComplianceResultFactory(tenant=tenant_a, status=Status.MET, period_start=dt.date(2026, 4, 1))
    with tenant_context(tenant_a):
        metric = other.metrics.first()
    ComplianceResultFactory(metric=metric, status=Status.BREACHED)
    url = reverse("api:complianceresult-list")
    rows = api_viewer.get(url, {"status": "breached", "period": "2026-03"}).json()["results"]
    assert len(rows) == 2
    reference = first.agreement.reference
    rows = api_viewer.get(url, {"agreement": reference, "status": "breached"}).json()["results"]
    assert [r["id"] for r in rows] == [first.pk]
    assert api_viewer.get(url, {"period": "March"}).status_code == 400


@pytest.mark.parametrize(
    "basename, factory",
    [
        ("ticket", TicketFactory),
        ("ticketclock", TicketClockFactory),
        ("complianceresult", ComplianceResultFactory),
        ("creditresult", CreditResultFactory),
        ("improvementaction", ImprovementActionFactory),
        ("clockrecompute", ClockRecomputeFactory),
    ],
)
def test_lists_run_a_constant_number_of_queries(
    api_viewer, tenant_a, basename, factory, django_assert_max_num_queries
):
    factory.create_batch(3, tenant=tenant_a)
    url = reverse(f"api:{basename}-list")
    with django_assert_max_num_queries(12) as small:
        assert api_viewer.get(url).status_code == 200
    factory.create_batch(12, tenant=tenant_a)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api_viewer.get(url)
    assert response.json()["count"] == 15
