"""REST API of the agreements domain: CRUD, nested writes, workflow actions, 409, filters,
roles, tenant isolation and constant queries on the list."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements.choices import AgreementStatus
from agreements.models import Agreement, BusinessCalendar, CalendarSlot, Customer, Service
from slaweb.tenancy.context import tenant_context
from tests.conftest import api_client_for
from tests.factories import MembershipFactory
from tests.factories.agreements import (
    AgreementFactory,
    AgreementServiceFactory,
    BusinessCalendarFactory,
    ContactFactory,
    CustomerFactory,
    MetricDefinitionFactory,
    PriorityTierFactory,
    ServiceFactory,
)
from tests.isolation import APIIsolationTests, snapshot

from .conftest import make_active, make_draft

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"api:{name}", args=args)


# --------------------------------------------------------------------------
# Tenant isolation: one class per endpoint


class TestServiceIsolation(APIIsolationTests):
    basename = "service"
    factory = ServiceFactory

    def payload(self, tenant):
        return {"name": f"Service {uuid.uuid4().hex[:6]}"}


class TestCustomerIsolation(APIIsolationTests):
    basename = "customer"
    factory = CustomerFactory

    def payload(self, tenant):
        return {"name": f"Customer {uuid.uuid4().hex[:6]}", "kind": "external"}


class TestContactIsolation(APIIsolationTests):
    basename = "contact"
    factory = ContactFactory
    foreign_keys = {"customer": CustomerFactory}

    def payload(self, tenant):
        return {
            "customer": CustomerFactory(tenant=tenant).pk,
            "name": "Wang Fang",
            "email": "wang@example.com",
        }


class TestCalendarIsolation(APIIsolationTests):
    basename = "calendar"
    factory = BusinessCalendarFactory

    def payload(self, tenant):
        return {
            "name": f"Calendar {uuid.uuid4().hex[:6]}",
            "time_zone": "Asia/Shanghai",
            "country": "CN",
        }


class TestAgreementIsolation(APIIsolationTests):
    basename = "agreement"
    factory = AgreementFactory
    foreign_keys = {
        "customer": CustomerFactory,
        "customer_contact": ContactFactory,
        "default_calendar": BusinessCalendarFactory,
        "services": ServiceFactory,
    }

    def payload(self, tenant):
        return {
            "title": "SLA",
            "reference": f"R-{uuid.uuid4().hex[:8]}",
            "customer": CustomerFactory(tenant=tenant).pk,
        }

    def test_a_foreign_service_is_400(self, api, tenant_a, tenant_b):
        foreign = ServiceFactory(tenant=tenant_b)
        response = api.post(
            self.list_url(), {**self.payload(tenant_a), "services": [foreign.pk]}, format="json"
        )
        assert response.status_code == 400 and "services" in response.json()

    def test_a_foreign_tier_calendar_is_400(self, api, tenant_a, tenant_b):
        foreign = BusinessCalendarFactory(tenant=tenant_b)
        tiers = [
            {
                "code": "P1",
                "name": "U",
                "response_minutes": 1,
                "resolution_minutes": 2,
                "calendar": foreign.pk,
            }
        ]
        response = api.post(
            self.list_url(), {**self.payload(tenant_a), "tiers": tiers}, format="json"
        )
        assert response.status_code == 400 and "tiers" in response.json()

    def test_actions_on_another_tenants_agreement_are_404(self, api, other):
        before = snapshot(other)
        for action in ("submit", "approve", "activate", "new-version", "terminate", "versions"):
            method = api.get if action == "versions" else api.post
            assert (
                method(f"{self.detail_url(other.pk)}{action}/", {}, format="json").status_code
                == 404
            ), action
        assert snapshot(other) == before


class TestPriorityTierIsolation(APIIsolationTests):
    basename = "prioritytier"
    factory = PriorityTierFactory
    foreign_keys = {"agreement": AgreementFactory, "calendar": BusinessCalendarFactory}

    def payload(self, tenant):
        return {
            "agreement": AgreementFactory(tenant=tenant).pk,
            "code": "P2",
            "name": "High",
            "response_minutes": 30,
            "resolution_minutes": 240,
        }


class TestMetricDefinitionIsolation(APIIsolationTests):
    basename = "metricdefinition"
    factory = MetricDefinitionFactory
    foreign_keys = {"agreement": AgreementFactory, "tiers": PriorityTierFactory}

    def payload(self, tenant):
        return {
            "agreement": AgreementFactory(tenant=tenant).pk,
            "name": "Availability",
            "kind": "availability_percent",
            "target": "99.5",
            "minimum_acceptable": "99",
        }

    def test_a_foreign_tier_is_400(self, api, tenant_a, tenant_b):
        foreign = PriorityTierFactory(tenant=tenant_b)
        body = {**self.payload(tenant_a), "tiers": [foreign.pk]}
        response = api.post(self.list_url(), body, format="json")
        assert response.status_code == 400 and "tiers" in response.json()


# --------------------------------------------------------------------------
# Catalogue CRUD


def test_service_crud_and_archive_instead_of_delete(api_manager, tenant_a):
    created = api_manager.post(url("service-list"), {"name": "Hotline 热线"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        api_manager.post(url("service-list"), {"name": "Hotline 热线"}, format="json").status_code
        == 400
    )
    assert (
        api_manager.patch(url("service-detail", pk), {"description": "24x7"}, format="json").json()[
            "description"
        ]
        == "24x7"
    )
    draft = AgreementFactory(tenant=tenant_a)
    with tenant_context(tenant_a):
        AgreementServiceFactory(
            tenant=tenant_a, agreement=draft, service=Service.objects.get(pk=pk)
        )
    refused = api_manager.delete(url("service-detail", pk))
    assert refused.status_code == 400
    assert "archive it instead" in refused.json()["non_field_errors"][0]
    assert (
        api_manager.patch(url("service-detail", pk), {"archived": True}, format="json").json()[
            "archived"
        ]
        is True
    )
    unused = api_manager.post(url("service-list"), {"name": "Unused"}, format="json").json()["id"]
    assert api_manager.delete(url("service-detail", unused)).status_code == 204


def test_contacts_of_a_customer(api_manager, tenant_a):
    customer = api_manager.post(
        url("customer-list"), {"name": "财务部", "kind": "internal"}, format="json"
    ).json()
    body = {
        "customer": customer["id"],
        "name": "Li Lei",
        "email": "li@example.com",
        "language": "zh-hans",
    }
    contact = api_manager.post(url("contact-list"), body, format="json")
    assert contact.status_code == 201, contact.content
    listed = api_manager.get(url("contact-list"), {"customer": customer["id"]}).json()
    assert [c["email"] for c in listed["results"]] == ["li@example.com"]
    assert (
        api_manager.post(url("contact-list"), {**body, "email": "bad"}, format="json").status_code
        == 400
    )
    assert (
        api_manager.delete(url("customer-detail", customer["id"])).status_code == 400
    )  # has a contact


def test_calendar_with_nested_slots_holidays_and_working_days(api_manager, tenant_a):
    body = {
        "name": "CN business hours",
        "time_zone": "Asia/Shanghai",
        "country": "CN",
        "slots": [
            {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
            {"weekday": 0, "start_time": "13:00", "end_time": "18:00"},
            {"weekday": 4, "start_time": "22:00", "end_time": "06:00"},
        ],
        "holidays": [{"date": "2026-03-09", "name": "Company day"}],
        "working_days": [{"date": "2026-02-14", "name": "调休"}],
    }
    created = api_manager.post(url("calendar-list"), body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert len(data["slots"]) == 3 and data["working_days"][0]["date"] == "2026-02-14"
    overlap = {
        "slots": [*body["slots"], {"weekday": 5, "start_time": "05:00", "end_time": "07:00"}]
    }
    refused = api_manager.patch(url("calendar-detail", data["id"]), overlap, format="json")
    assert refused.status_code == 400
    assert "Time slots overlap: Friday 22:00-06:00 and Saturday 05:00-07:00." in str(refused.json())
    with tenant_context(tenant_a):
        assert (
            CalendarSlot.objects.filter(calendar_id=data["id"]).count() == 3
        )  # nothing half-written
    replaced = api_manager.patch(
        url("calendar-detail", data["id"]), {"slots": body["slots"][:1]}, format="json"
    )
    assert replaced.status_code == 200 and len(replaced.json()["slots"]) == 1
    # A holiday without a name (a partial update) gets the default name (was a 500).
    unnamed = api_manager.patch(
        url("calendar-detail", data["id"]), {"holidays": [{"date": "2026-05-04"}]}, format="json"
    )
    assert unnamed.status_code == 200, unnamed.content
    assert unnamed.json()["holidays"] == [
        {"id": unnamed.json()["holidays"][0]["id"], "date": "2026-05-04", "name": ""}
    ]
    bad_country = api_manager.post(
        url("calendar-list"), {**body, "name": "x", "country": "QQ"}, format="json"
    )
    assert bad_country.status_code == 400 and "country" in bad_country.json()
    # "ß".upper() is "SS": a code must not outgrow its column on the way (was a 500).
    odd = api_manager.post(
        url("calendar-list"),
        {"name": "y", "country": "ß", "subdivision": "ßßßßßßßßßß"},
        format="json",
    )
    assert odd.status_code == 400 and "country" in odd.json()


def test_the_api_cannot_store_a_calendar_the_engine_refuses(api_manager, tenant_a):
    """Extra working days take Monday's hours: without a Monday slot the engine refuses,
    so the API does too (validity is checked once, by building the engine's value)."""
    body = {
        "name": "No Mondays",
        "time_zone": "Asia/Shanghai",
        "slots": [{"weekday": 1, "start_time": "09:00", "end_time": "18:00"}],
        "working_days": [{"date": "2026-02-14", "name": "调休"}],
    }
    refused = api_manager.post(url("calendar-list"), body, format="json")
    assert refused.status_code == 400, refused.content
    assert "Monday has no time slot" in str(refused.json())
    with tenant_context(tenant_a):
        assert not BusinessCalendar.objects.filter(name="No Mondays").exists()
    ok = api_manager.post(
        url("calendar-list"),
        {
            **body,
            "slots": [*body["slots"], {"weekday": 0, "start_time": "09:00", "end_time": "18:00"}],
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    monday_removed = api_manager.patch(
        url("calendar-detail", ok.json()["id"]), {"slots": body["slots"]}, format="json"
    )
    assert monday_removed.status_code == 400
    with tenant_context(tenant_a):
        assert CalendarSlot.objects.filter(calendar_id=ok.json()["id"]).count() == 2


# --------------------------------------------------------------------------
# Agreements


def agreement_body(tenant) -> dict:
    customer = CustomerFactory(tenant=tenant)
    service = ServiceFactory(tenant=tenant)
    calendar = BusinessCalendarFactory(tenant=tenant)
    return {
        "title": "服务器运维支持 Server operations",
        "reference": "SLA-2026-001",
        "kind": "sla",
        "customer": customer.pk,
        "services": [service.pk],
        "default_calendar": calendar.pk,
        "effective_from": "2026-01-01",
        "effective_to": "2026-12-31",
        "monthly_fee": "20000.00",
        "credit_percent": "5",
        "credit_cap_percent": "20",
        "metrics": [
            {
                "name": "Server fault response",
                "kind": "response_time",
                "target": "60",
                "minimum_acceptable": "120",
                "attainment_goal_percent": "95",
                "tier_codes": ["P1", "P2"],
            },
            {
                "name": "First-contact resolution",
                "kind": "first_contact_resolution_rate",
                "target": "85",
                "minimum_acceptable": "75",
                "tier_codes": ["P3"],
            },
        ],
        "recipients": [{"side": "customer", "name": "CIO", "email": "cio@customer.example"}],
    }


class TestAgreementAPI:
    def test_create_with_default_tiers_and_nested_metrics(self, api_manager, tenant_a):
        response = api_manager.post(url("agreement-list"), agreement_body(tenant_a), format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["status"] == "draft" and data["version"] == 1 and data["lock_version"] == 1
        assert [t["code"] for t in data["tiers"]] == ["P1", "P2", "P3", "P4"]
        assert data["metrics"][0]["tier_codes"] == ["P1", "P2"]
        assert (
            data["metrics"][0]["direction"] == "lower_is_better"
            and data["metrics"][0]["unit"] == "min"
        )
        assert {e["kind"] for e in data["exclusions"]} == {"planned_maintenance", "force_majeure"}
        assert data["recipients"][0]["email"] == "cio@customer.example"

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"effective_to": "2025-01-01"}, "effective_to"),
            ({"credit_percent": "150"}, "credit_percent"),
            ({"credit_tiers": [{"breached_metrics": 0, "percent": 5}]}, "credit_tiers"),
            (
                {
                    "metrics": [
                        {
                            "name": "x",
                            "kind": "availability_percent",
                            "target": "98",
                            "minimum_acceptable": "99",
                        }
                    ]
                },
                "metrics",
            ),
            (
                {
                    "metrics": [
                        {
                            "name": "x",
                            "kind": "accuracy",
                            "target": "101",
                            "minimum_acceptable": "99",
                        }
                    ]
                },
                "metrics",
            ),
            (
                {
                    "metrics": [
                        {
                            "name": "x",
                            "kind": "response_time",
                            "target": "5",
                            "minimum_acceptable": "9",
                        }
                    ]
                },
                "metrics",
            ),
            (
                {
                    "tiers": [
                        {
                            "code": "P1",
                            "name": "U",
                            "response_minutes": 60,
                            "resolution_minutes": 30,
                        }
                    ]
                },
                "tiers",
            ),
            (
                {
                    "tiers": [
                        {"code": "P1", "name": "U", "response_minutes": 0, "resolution_minutes": 30}
                    ]
                },
                "tiers",
            ),
        ],
    )
    def test_invalid_input_is_400_with_the_field(self, api_manager, tenant_a, change, field):
        response = api_manager.post(
            url("agreement-list"), {**agreement_body(tenant_a), **change}, format="json"
        )
        assert response.status_code == 400, response.content
        assert field in response.json()
        with tenant_context(tenant_a):
            assert not Agreement.objects.exists()

    def test_metric_direction_message(self, api_manager, tenant_a):
        body = {
            **agreement_body(tenant_a),
            "metrics": [
                {
                    "name": "Availability",
                    "kind": "availability_percent",
                    "target": "98",
                    "minimum_acceptable": "99",
                }
            ],
        }
        errors = api_manager.post(url("agreement-list"), body, format="json").json()
        assert "Higher is better for this metric" in str(errors["metrics"])

    def test_update_needs_lock_version_and_a_stale_one_is_409(self, api_manager, tenant_a):
        agreement = make_draft(tenant_a)
        detail = url("agreement-detail", agreement.pk)
        missing = api_manager.patch(detail, {"title": "x"}, format="json")
        assert missing.status_code == 400 and "lock_version" in missing.json()
        lock = api_manager.get(detail).json()["lock_version"]
        ok = api_manager.patch(detail, {"title": "New title", "lock_version": lock}, format="json")
        assert ok.status_code == 200 and ok.json()["lock_version"] == lock + 1
        stale = api_manager.patch(
            detail,
            {"title": "Lost update", "scope_excluded": "x", "lock_version": lock},
            format="json",
        )
        assert stale.status_code == 409
        assert "changed by someone else" in stale.json()["detail"]
        stored = api_manager.get(detail).json()
        assert (
            stored["title"] == "New title"
            and stored["scope_excluded"] == ""
            and stored["lock_version"] == lock + 1
        )

    def test_nested_update_replaces_tiers_and_metrics(self, api_manager, tenant_a):
        agreement = make_draft(tenant_a)
        detail = url("agreement-detail", agreement.pk)
        current = api_manager.get(detail).json()
        metric = current["metrics"][0]
        body = {
            "lock_version": current["lock_version"],
            "tiers": [
                {"code": "P1", "name": "Urgent", "response_minutes": 10, "resolution_minutes": 60}
            ],
            "metrics": [{**metric, "target": "45", "tier_codes": ["P1"]}],
        }
        response = api_manager.patch(detail, body, format="json")
        assert response.status_code == 200, response.content
        data = response.json()
        assert [t["code"] for t in data["tiers"]] == ["P1"]
        assert [(m["id"], m["target"]) for m in data["metrics"]] == [(metric["id"], "45.0000")]

    def test_active_agreements_are_not_edited(self, api_manager, tenant_a):
        agreement = make_active(tenant_a)
        detail = url("agreement-detail", agreement.pk)
        lock = api_manager.get(detail).json()["lock_version"]
        response = api_manager.patch(detail, {"title": "x", "lock_version": lock}, format="json")
        assert response.status_code == 400
        assert "only a draft can" in str(response.json())
        assert api_manager.delete(detail).status_code == 400

    def test_workflow_through_the_api(self, api_manager, tenant_a):
        created = api_manager.post(
            url("agreement-list"), agreement_body(tenant_a), format="json"
        ).json()
        pk = created["id"]

        def act(name, body=None):
            return api_manager.post(url(f"agreement-{name}", pk), body or {}, format="json")  # noqa: E731

        assert act("submit").json()["status"] == "in_review"
        refused = act("activate")
        assert refused.status_code == 400 and "Both sides must approve" in str(refused.json())
        assert act("approve", {"side": "provider", "comment": "ok"}).status_code == 200
        assert act("approve", {"side": "nobody"}).status_code == 400
        # One user never approves both sides: another manager records the customer's
        # approval on the contact's behalf, with the evidence.
        same_user = act("approve", {"side": "customer", "evidence": "Signed copy"})
        assert same_user.status_code == 400 and "someone else" in str(same_user.json())
        with tenant_context(tenant_a):
            customer = Customer.objects.get(pk=created["customer"])
            contact = ContactFactory(tenant=tenant_a, customer=customer, name="Li Lei")
        colleague = api_client_for(MembershipFactory(tenant=tenant_a, role="manager"))
        approved = colleague.post(
            url("agreement-approve", pk),
            {"side": "customer", "on_behalf_of": contact.pk, "evidence": "Signed copy by email"},
            format="json",
        ).json()
        assert {a["side"]: a["name"] for a in approved["approvals"]} == {
            "provider": "manager@alpha.example",
            "customer": "Li Lei",
        }
        assert act("activate").json()["status"] == "active"
        v2 = act("new-version")
        assert v2.status_code == 201
        v2 = v2.json()
        assert (v2["version"], v2["supersedes"], v2["status"]) == (2, pk, "draft")
        patched = api_manager.patch(
            url("agreement-detail", v2["id"]),
            {
                "lock_version": v2["lock_version"],
                "effective_from": "2026-07-01",
                "metrics": [{**v2["metrics"][0], "target": "45"}, v2["metrics"][1]],
            },
            format="json",
        )
        assert patched.status_code == 200, patched.content
        versions = api_manager.get(url("agreement-versions", pk)).json()
        assert [(v["version"], v["status"]) for v in versions] == [(1, "active"), (2, "draft")]
        diff = api_manager.get(url("agreement-diff", pk, v2["id"])).json()
        texts = [c["text"] for c in diff["changes"]]
        assert "Metric 'Server fault response' · Target: 60 → 45" in texts
        assert "Agreement · Effective from: 2026-01-01 → 2026-07-01" in texts
        terminated = act("terminate", {"reason": "Contract ended early"})
        assert (
            terminated.json()["status"] == "terminated"
            and terminated.json()["end_reason"] == "Contract ended early"
        )
        assert act("terminate", {}).status_code == 400

    def test_diff_only_between_versions_of_one_agreement(self, api_manager, tenant_a):
        one, two = make_draft(tenant_a, "A-1"), make_draft(tenant_a, "B-1")
        response = api_manager.get(url("agreement-diff", one.pk, two.pk))
        assert response.status_code == 400
        assert api_manager.get(url("agreement-diff", one.pk, 99999999)).status_code == 404

    def test_action_with_stale_lock_is_409(self, api_manager, tenant_a):
        agreement = make_draft(tenant_a)
        response = api_manager.post(
            url("agreement-submit", agreement.pk), {"lock_version": 99}, format="json"
        )
        assert response.status_code == 409
        with tenant_context(tenant_a):
            assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.DRAFT


class TestRoles:
    def test_a_viewer_reads_but_changes_nothing(self, api_viewer, tenant_a):
        agreement = make_draft(tenant_a)
        service = ServiceFactory(tenant=tenant_a)
        detail = url("agreement-detail", agreement.pk)
        assert api_viewer.get(url("agreement-list")).status_code == 200
        lock = api_viewer.get(detail).json()["lock_version"]
        assert api_viewer.get(url("agreement-versions", agreement.pk)).status_code == 200
        assert (
            api_viewer.patch(
                detail, {"title": "x", "lock_version": lock}, format="json"
            ).status_code
            == 403
        )
        assert api_viewer.delete(detail).status_code == 403
        assert (
            api_viewer.post(
                url("agreement-list"), agreement_body(tenant_a), format="json"
            ).status_code
            == 403
        )
        for action in ("submit", "approve", "activate", "new-version", "terminate"):
            assert (
                api_viewer.post(
                    url(f"agreement-{action.replace('new-version', 'new-version')}", agreement.pk),
                    {},
                    format="json",
                ).status_code
                == 403
            )
        assert api_viewer.post(url("service-list"), {"name": "x"}, format="json").status_code == 403
        assert api_viewer.delete(url("service-detail", service.pk)).status_code == 403
        with tenant_context(tenant_a):
            stored = Agreement.objects.get(pk=agreement.pk)
        assert stored.status == AgreementStatus.DRAFT and stored.lock_version == lock

    def test_admins_may_approve(self, api_admin, admin_a, tenant_a):
        agreement = make_draft(tenant_a)
        submitted = api_admin.post(url("agreement-submit", agreement.pk), {}, format="json")
        assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
        response = api_admin.post(
            url("agreement-approve", agreement.pk), {"side": "provider"}, format="json"
        )
        assert response.status_code == 200
        with tenant_context(tenant_a):
            approval = Agreement.objects.get(pk=agreement.pk).approvals.get()
        assert (approval.side, approval.approved_by) == ("provider", admin_a.user)


class TestFilters:
    @time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False)
    def test_filters_and_search(self, api_viewer, tenant_a):
        draft = make_draft(tenant_a, "DRAFT-1")
        active = make_active(
            tenant_a,
            "ACT-1",
            title="Finance monthly report 财务月报",
            effective_from=dt.date(2026, 1, 1),
            effective_to=timezone.localdate() + dt.timedelta(days=20),
        )

        def listed(**params):
            return {
                row["reference"]
                for row in api_viewer.get(url("agreement-list"), params).json()["results"]
            }  # noqa: E731

        assert listed(status="draft") == {"DRAFT-1"}
        assert listed(status="active") == {"ACT-1"}
        assert listed(customer=draft.customer_id) == {"DRAFT-1"}
        with tenant_context(tenant_a):
            service_id = active.services.get().pk
        assert listed(service=service_id) == {"ACT-1"}
        assert listed(kind="ola") == set()
        assert listed(expiring_within_days=30) == {"ACT-1"}
        assert listed(expiring_within_days=10) == set()
        assert listed(search="财务") == {"ACT-1"}
        assert listed(in_force_on="2026-02-01") == {"ACT-1"}
        assert (
            api_viewer.get(url("agreement-list"), {"expiring_within_days": 10**9}).status_code
            == 400
        )
        assert api_viewer.get(url("agreement-list"), {"status": "nonsense"}).status_code == 400


def test_agreement_list_runs_a_constant_number_of_queries(
    api_viewer, tenant_a, django_assert_max_num_queries
):
    def add(count, start):
        for _index in range(start, start + count):
            agreement = AgreementFactory(tenant=tenant_a)
            for _service in range(2):
                AgreementServiceFactory(tenant=tenant_a, agreement=agreement)
            PriorityTierFactory(tenant=tenant_a, agreement=agreement)
            MetricDefinitionFactory(tenant=tenant_a, agreement=agreement)

    add(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert len(api_viewer.get(url("agreement-list")).json()["results"]) == 2
    add(20, 2)
    with django_assert_max_num_queries(len(few)):
        response = api_viewer.get(url("agreement-list"))
    rows = response.json()["results"]
    assert len(rows) == 22
    assert all(
        len(row["services"]) == 2 and row["counts"] == {"tiers": 1, "metrics": 1} for row in rows
    )


def test_the_schema_documents_the_workflow_actions(api_viewer, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/agreements/{id}/submit/",
        "/agreements/{id}/approve/",
        "/agreements/{id}/activate/",
        "/agreements/{id}/new-version/",
        "/agreements/{id}/terminate/",
        "/agreements/{id}/versions/",
        "/agreements/{id}/diff/{other_pk}/",
        "/metric-definitions/",
        "/calendars/",
    ):
        assert path in schema, path
