"""The agreement editor's pages: list, SLA document, create/edit, inline tiers and metrics,
workflow, versions and diff; isolation, roles, optimistic locking, constant queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.choices import AgreementStatus
from agreements.models import Agreement, ExclusionRule, MetricDefinition, PriorityTier
from slaweb.tenancy.context import tenant_context
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
from tests.isolation import PageIsolationTests, snapshot

pytestmark = pytest.mark.django_db


def url(name, *args, slug="alpha"):
    return reverse(f"agreements:{name}", args=[slug, *args])


def read(agreement, **lookups):
    with tenant_context(agreement.tenant_id):
        return Agreement.objects.get(pk=agreement.pk)


@pytest.fixture
def draft(tenant_a):
    agreement = AgreementFactory(tenant=tenant_a, title="Server operations", reference="SLA-OPS")
    PriorityTierFactory(
        agreement=agreement, code="P1", name="Urgent", response_minutes=15, resolution_minutes=120
    )
    MetricDefinitionFactory(
        agreement=agreement,
        name="Availability",
        target=Decimal("99.5"),
        minimum_acceptable=Decimal("99"),
    )
    return agreement


class TestAgreementPagesIsolation(PageIsolationTests):
    factory = AgreementFactory
    url_names = [
        "agreements:detail",
        "agreements:edit",
        "agreements:print",
        "agreements:diff",
        "agreements:tier-add",
        "agreements:metric-add",
        "agreements:exclusion-add",
        "agreements:recipient-add",
    ]
    post_url_names = [
        "agreements:edit",
        "agreements:submit",
        "agreements:approve",
        "agreements:activate",
        "agreements:new-version",
        "agreements:terminate",
        "agreements:tier-add",
        "agreements:metric-add",
        "agreements:exclusion-add",
        "agreements:recipient-add",
    ]


def test_another_tenants_tier_and_metric_are_404_inside_my_draft(manager, draft, tenant_b):
    foreign = AgreementFactory(tenant=tenant_b)
    tier = PriorityTierFactory(agreement=foreign)
    metric = MetricDefinitionFactory(agreement=foreign)
    assert manager.get(url("tier-edit", draft.pk, tier.pk)).status_code == 404
    assert (
        manager.post(
            url("metric-delete", draft.pk, metric.pk), {"lock_version": draft.lock_version}
        ).status_code
        == 404
    )
    with tenant_context(tenant_b):
        assert MetricDefinition.objects.filter(pk=metric.pk).exists()


class TestList:
    def test_filters_search_and_empty_state(self, manager, tenant_a):
        acme = CustomerFactory(tenant=tenant_a, name="Acme")
        hotline = ServiceFactory(tenant=tenant_a, name="Hotline")
        first = AgreementFactory(
            tenant=tenant_a, customer=acme, title="Hotline support", reference="SLA-1"
        )
        AgreementServiceFactory(agreement=first, service=hotline)
        AgreementFactory(tenant=tenant_a, title="Finance report", reference="OLA-2")

        page = manager.get(url("list")).content.decode()
        assert "SLA-1" in page and "OLA-2" in page
        assert "SLA-1" in manager.get(url("list"), {"q": "hotline"}).content.decode()
        assert "OLA-2" not in manager.get(url("list"), {"customer": acme.pk}).content.decode()
        assert "OLA-2" not in manager.get(url("list"), {"service": hotline.pk}).content.decode()
        assert (
            "No agreement matches these filters."
            in manager.get(url("list"), {"status": "active"}).content.decode()
        )

    @time_machine.travel(dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC), tick=False)
    def test_expiring_soon(self, manager, tenant_a):

        from django.utils import timezone

        soon = AgreementFactory(
            tenant=tenant_a,
            reference="SOON",
            effective_to=timezone.localdate() + dt.timedelta(days=20),
        )
        AgreementFactory(
            tenant=tenant_a,
            reference="LATER",
            effective_to=timezone.localdate() + dt.timedelta(days=200),
        )
        with tenant_context(tenant_a):
            # Along the lifecycle: the database refuses a draft that jumps to active.
            for status in (AgreementStatus.IN_REVIEW, AgreementStatus.ACTIVE):
                Agreement.objects.filter(reference__in=["SOON", "LATER"]).update(status=status)
        page = manager.get(url("list"), {"expiring": 30}).content.decode()
        assert soon.reference in page and "LATER" not in page

    def test_empty_list_invites_to_write_the_first(self, manager):
        assert "Write the first one" in manager.get(url("list")).content.decode()

    def test_constant_queries(self, manager, tenant_a, django_assert_max_num_queries):
        AgreementFactory(tenant=tenant_a)
        with CaptureQueriesContext(connection) as few:
            manager.get(url("list"))
        for _ in range(15):
            agreement = AgreementFactory(tenant=tenant_a)
            AgreementServiceFactory(agreement=agreement)
            MetricDefinitionFactory(agreement=agreement)
        with django_assert_max_num_queries(len(few)):
            response = manager.get(url("list"))
        assert len(response.context["object_list"]) == 16


class TestDocument:
    def test_laid_out_like_an_sla(self, manager, draft):
        page = manager.get(url("detail", draft.pk)).content.decode()
        for heading in (
            "Parties and services",
            "Scope",
            "Service window",
            "Priority tiers",
            "Core indicators",
            "Exclusions",
            "Service credits",
            "Escalation",
            "Reporting",
            "Approvals",
            "Versions",
            "History",
        ):
            assert heading in page, heading
        assert "Availability" in page and "99.5" in page

    def test_constant_queries_whatever_the_number_of_metrics(
        self, manager, draft, django_assert_max_num_queries
    ):
        with CaptureQueriesContext(connection) as few:
            manager.get(url("detail", draft.pk))
        tiers = [PriorityTierFactory(agreement=draft, code=code) for code in ("P2", "P3", "P4")]
        for i in range(12):
            metric = MetricDefinitionFactory(agreement=draft, name=f"Metric {i}")
            with tenant_context(draft.tenant_id):
                metric.tiers.add(*tiers, through_defaults={"tenant_id": draft.tenant_id})
        with django_assert_max_num_queries(len(few)):
            response = manager.get(url("detail", draft.pk))
        assert response.content.decode().count('<tr id="metric-') == 13

    def test_printable_view(self, viewer, draft):
        page = viewer.get(url("print", draft.pk)).content.decode()
        assert "Print or save as PDF" in page and "Core indicators" in page


class TestCreateAndEdit:
    def test_a_manager_creates_a_draft_with_default_tiers(self, manager, tenant_a):
        customer = CustomerFactory(tenant=tenant_a)
        service = ServiceFactory(tenant=tenant_a)
        response = manager.post(
            url("create"),
            {
                "title": "Hotline",
                "reference": "SLA-NEW",
                "kind": "sla",
                "customer": customer.pk,
                "services": [service.pk],
                "effective_from": "2026-12-01",
                "monthly_fee": "1000",
                "currency": "CNY",
                "credit_percent": "5",
                "credit_cap_percent": "20",
                "escalation_consecutive_breaches": 3,
                "escalation_plan_due_days": 15,
                "maintenance_notice_hours": 24,
                "report_day_of_month": 5,
                "report_periods": "month",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        with tenant_context(tenant_a):
            agreement = Agreement.objects.get(reference="SLA-NEW")
            assert agreement.status == AgreementStatus.DRAFT
            assert list(agreement.tiers.values_list("code", flat=True)) == ["P1", "P2", "P3", "P4"]
            assert list(agreement.services.all()) == [service]

    def test_invalid_input_is_shown_beside_the_fields(self, manager, tenant_a):
        response = manager.post(
            url("create"), {"title": "", "credit_percent": "150", "reference": "X"}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="id_title_error"' in page and 'id="id_credit_percent_error"' in page
        with tenant_context(tenant_a):
            assert not Agreement.objects.exists()

    def test_a_stale_edit_gets_a_conflict_and_loses_nothing(self, manager, draft):
        form = manager.get(url("edit", draft.pk)).context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None and k != "services"}
        data.update(
            customer=draft.customer_id,
            title="First editor's title",
            lock_version=draft.lock_version,
        )
        assert manager.post(url("edit", draft.pk), data).status_code == 302
        data["title"] = "Second editor's title"  # still the old lock_version
        response = manager.post(url("edit", draft.pk), data)
        assert response.status_code == 409
        page = response.content.decode()
        assert "Someone else changed this agreement" in page
        assert "Second editor&#x27;s title" in page  # their input is kept in the form
        assert read(draft).title == "First editor's title"

    def test_an_active_agreement_cannot_be_edited(self, manager, draft):
        with tenant_context(draft.tenant_id):
            for status in (AgreementStatus.IN_REVIEW, AgreementStatus.ACTIVE):
                Agreement.objects.filter(pk=draft.pk).update(status=status)
        response = manager.get(url("edit", draft.pk), follow=True)
        assert "cannot be edited" in response.content.decode()


class TestInlineParts:
    def test_a_tier_is_edited_inline_with_htmx(self, manager, draft):
        tier = draft_tier(draft)
        row = manager.get(url("tier-edit", draft.pk, tier.pk), HTTP_HX_REQUEST="true")
        assert row.status_code == 200 and b"<form" in row.content and b"<html" not in row.content
        response = manager.post(
            url("tier-edit", draft.pk, tier.pk),
            {
                "code": "P1",
                "name": "Critical",
                "response_minutes": 10,
                "resolution_minutes": 60,
                "order": 0,
                "lock_version": draft.lock_version,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "Critical" in body and 'hx-swap-oob="outerHTML:.agreement-lock"' in body
        assert f'value="{draft.lock_version + 1}"' in body
        with tenant_context(draft.tenant_id):
            assert PriorityTier.objects.get(pk=tier.pk).response_minutes == 10

    def test_without_javascript_the_same_form_is_a_page(self, manager, draft):
        page = manager.get(url("metric-add", draft.pk))
        assert b"<html" in page.content
        response = manager.post(
            url("metric-add", draft.pk),
            {
                "name": "Monthly report on time",
                "kind": "on_time_delivery_rate",
                "target": "100",
                "minimum_acceptable": "95",
                "attainment_goal_percent": "100",
                "period": "month",
                "order": 1,
                "lock_version": draft.lock_version,
            },
        )
        assert response.status_code == 302
        with tenant_context(draft.tenant_id):
            assert MetricDefinition.objects.filter(
                agreement=draft, name="Monthly report on time"
            ).exists()

    def test_a_complaint_handling_metric_is_set_up_in_the_browser(self, manager, draft):
        """Ticket kinds, categories and the clock stop are edited on the page like the rest."""
        with tenant_context(draft.tenant_id):
            tier = draft.tiers.get(code="P1")
        response = manager.post(
            url("metric-add", draft.pk),
            {
                "name": "Complaint handling",
                "kind": "response_time",
                "target": "60",
                "minimum_acceptable": "120",
                "attainment_goal_percent": "95",
                "tiers": [tier.pk],
                "period": "month",
                "ticket_kinds": ["complaint"],
                "ticket_categories": "billing,service",
                "order": 5,
                "lock_version": draft.lock_version,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        with tenant_context(draft.tenant_id):
            metric = MetricDefinition.objects.get(agreement=draft, name="Complaint handling")
        assert metric.ticket_kinds == ["complaint"]
        assert metric.ticket_categories == ["billing", "service"]
        assert metric.clock_stop == "resolved"
        page = manager.get(url("detail", draft.pk)).content.decode()
        assert "Ticket kinds: complaint" in page

    def test_a_target_below_the_minimum_is_refused_beside_the_field(self, manager, draft):
        response = manager.post(
            url("metric-add", draft.pk),
            {
                "name": "Availability 2",
                "kind": "availability_percent",
                "target": "98",
                "minimum_acceptable": "99",
                "attainment_goal_percent": "100",
                "period": "month",
                "order": 1,
                "lock_version": draft.lock_version,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 422
        assert "must be at least the minimum acceptable" in response.content.decode()

    def test_a_stale_inline_save_is_a_conflict(self, manager, draft):
        tier = draft_tier(draft)
        data = {
            "code": "P1",
            "name": "Renamed",
            "response_minutes": 15,
            "resolution_minutes": 120,
            "order": 0,
            "lock_version": draft.lock_version - 1
            if draft.lock_version > 1
            else draft.lock_version + 5,
        }
        response = manager.post(url("tier-edit", draft.pk, tier.pk), data, HTTP_HX_REQUEST="true")
        assert response.status_code == 409
        assert "Someone else changed this agreement" in response.content.decode()
        with tenant_context(draft.tenant_id):
            assert PriorityTier.objects.get(pk=tier.pk).name == "Urgent"

    def test_removing_a_metric(self, manager, draft):
        with tenant_context(draft.tenant_id):
            metric = MetricDefinition.objects.get(agreement=draft)
        response = manager.post(
            url("metric-delete", draft.pk, metric.pk), {"lock_version": draft.lock_version}
        )
        assert response.status_code == 302
        with tenant_context(draft.tenant_id):
            assert not MetricDefinition.objects.filter(pk=metric.pk).exists()


class TestExclusionsAndRecipients:
    def test_an_exclusion_is_added_and_removed_inline(self, manager, draft):
        response = manager.post(
            url("exclusion-add", draft.pk),
            {
                "kind": "third_party",
                "description": "Carrier outages",
                "lock_version": draft.lock_version,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert "Carrier outages" in response.content.decode()
        with tenant_context(draft.tenant_id):
            exclusion = ExclusionRule.objects.get(agreement=draft, kind="third_party")
        response = manager.post(
            url("exclusion-delete", draft.pk, exclusion.pk),
            {"lock_version": draft.lock_version + 1},
        )
        assert response.status_code == 302
        with tenant_context(draft.tenant_id):
            assert not ExclusionRule.objects.filter(pk=exclusion.pk).exists()

    def test_a_recipient_is_a_customer_contact_or_an_address(self, manager, draft, tenant_b):
        contact = ContactFactory(customer=draft.customer, name="Li Lei")
        foreign = ContactFactory(tenant=tenant_b)
        refused = manager.post(
            url("recipient-add", draft.pk),
            {
                "side": "customer",
                "contact": foreign.pk,
                "lock_version": draft.lock_version,
            },
        )
        assert refused.status_code == 422
        assert re.search(r'id="recipients-new[0-9a-f]{6}-contact_error"', refused.content.decode())
        nothing = manager.post(
            url("recipient-add", draft.pk), {"side": "provider", "lock_version": draft.lock_version}
        )
        assert "Choose a contact or enter an email address." in nothing.content.decode()
        assert (
            manager.post(
                url("recipient-add", draft.pk),
                {
                    "side": "customer",
                    "contact": contact.pk,
                    "lock_version": draft.lock_version,
                },
            ).status_code
            == 302
        )
        page = manager.get(url("detail", draft.pk)).content.decode()
        assert "Li Lei" in page and 'id="recipient-' in page


def draft_tier(draft):
    with tenant_context(draft.tenant_id):
        return PriorityTier.objects.get(agreement=draft, code="P1")


class TestRoles:
    def test_a_viewer_reads_but_cannot_change_anything(self, viewer, draft):
        assert viewer.get(url("detail", draft.pk)).status_code == 200
        assert "Edit terms" not in viewer.get(url("detail", draft.pk)).content.decode()
        before = snapshot(draft)
        tier = draft_tier(draft)
        for name, args in [
            ("create", ()),
            ("edit", (draft.pk,)),
            ("submit", (draft.pk,)),
            ("approve", (draft.pk,)),
            ("activate", (draft.pk,)),
            ("new-version", (draft.pk,)),
            ("terminate", (draft.pk,)),
            ("tier-add", (draft.pk,)),
            ("tier-edit", (draft.pk, tier.pk)),
            ("tier-delete", (draft.pk, tier.pk)),
        ]:
            assert (
                viewer.post(url(name, *args), {"lock_version": draft.lock_version}).status_code
                == 403
            ), name
        assert viewer.get(url("create")).status_code == 403
        assert snapshot(draft) == before


class TestWorkflow:
    def test_submit_approve_activate_new_version_and_diff(self, manager, tenant_a):
        calendar = BusinessCalendarFactory(tenant=tenant_a)
        agreement = AgreementFactory(tenant=tenant_a, reference="SLA-WF", default_calendar=calendar)
        AgreementServiceFactory(agreement=agreement)
        PriorityTierFactory(agreement=agreement)
        MetricDefinitionFactory(
            agreement=agreement,
            name="Availability",
            target=Decimal("99.5"),
            minimum_acceptable=Decimal("99"),
        )

        manager.post(url("submit", agreement.pk))
        assert read(agreement).status == AgreementStatus.IN_REVIEW
        page = manager.post(url("activate", agreement.pk), follow=True).content.decode()
        assert "Both sides must approve" in page
        manager.post(url("approve", agreement.pk), {"side": "provider", "comment": "ok"})
        # One user never approves both sides: a colleague records the customer's approval.
        contact = ContactFactory(tenant=tenant_a, customer=agreement.customer, name="Li Lei")
        manager.force_login(MembershipFactory(tenant=tenant_a, role="manager").user)
        manager.post(
            url("approval-record", agreement.pk),
            {"side": "customer", "on_behalf_of": contact.pk, "evidence": "Signed copy"},
        )
        manager.post(url("activate", agreement.pk))
        assert read(agreement).status == AgreementStatus.ACTIVE

        response = manager.post(url("new-version", agreement.pk))
        with tenant_context(tenant_a):
            v2 = Agreement.objects.get(reference="SLA-WF", version=2)
            metric = v2.metrics.get(name="Availability")
        assert response["Location"] == url("detail", v2.pk)
        manager.post(
            url("metric-edit", v2.pk, metric.pk),
            {
                "name": "Availability",
                "kind": "availability_percent",
                "target": "99.9",
                "minimum_acceptable": "99",
                "attainment_goal_percent": "100",
                "period": "month",
                "order": 0,
                "lock_version": read(v2).lock_version,
            },
        )
        diff = manager.get(url("diff", v2.pk), {"from": agreement.pk, "to": v2.pk}).content.decode()
        assert "Metric &#x27;Availability&#x27;" in diff
        assert "<del>99.5</del>" in diff and "<ins>99.9</ins>" in diff
