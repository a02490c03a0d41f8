"""Lifecycle: draft -> in review -> active -> superseded / expired / terminated, with approvals,
frozen versions and optimistic locking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements import selectors, services
from agreements.choices import AgreementStatus, Side
from agreements.models import Agreement, AgreementApproval, MetricDefinition, PriorityTier
from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import AuditEvent

from .conftest import make_active

pytestmark = pytest.mark.django_db


def reload(agreement) -> Agreement:
    return Agreement.objects.get(pk=agreement.pk)


class TestSubmitAndApprove:
    def test_submit_needs_a_complete_draft(self, tenant_a):
        with tenant_context(tenant_a):
            from agreements.models import Customer

            bare = services.create_agreement(
                title="Bare", reference="BARE-1", customer=Customer.objects.create(name="C")
            )
            with pytest.raises(ValidationError) as caught:
                services.submit(bare)
            messages = caught.value.messages
            assert "Set the date from which the agreement is in force." in messages
            assert "Choose at least one service." in messages
            assert "Define at least one metric." in messages
            assert reload(bare).status == AgreementStatus.DRAFT

    def test_both_sides_approve_then_activate(self, draft, manager_a):
        with tenant_context(draft.tenant_id):
            services.submit(draft)
            assert reload(draft).status == AgreementStatus.IN_REVIEW
            with pytest.raises(ValidationError) as caught:
                services.activate(draft)
            assert "missing: provider, customer" in caught.value.messages[0]
            services.approve(draft, side=Side.PROVIDER, user=manager_a.user, comment="OK for IT")
            with pytest.raises(ValidationError) as caught:
                services.activate(draft)
            assert "missing: customer" in caught.value.messages[0]
            with pytest.raises(ValidationError, match="already approved"):
                services.approve(draft, side=Side.PROVIDER, user=manager_a.user)
            services.approve(draft, side=Side.CUSTOMER, name="Li Lei")
            active = services.activate(draft)
            approvals = {a.side: a for a in AgreementApproval.objects.filter(agreement=draft)}
        assert active.status == AgreementStatus.ACTIVE and active.activated_at is not None
        assert approvals[Side.PROVIDER].approved_by == manager_a.user
        assert approvals[Side.PROVIDER].name == manager_a.user.email  # no full name: the email
        assert approvals[Side.CUSTOMER].name == "Li Lei" and approvals[Side.CUSTOMER].at is not None
        assert active.snapshot["status"] == "active"
        assert [m["name"] for m in active.snapshot["metrics"]] == [
            "Server fault response",
            "Availability",
        ]
        assert {a["side"] for a in active.snapshot["approvals"]} == {"provider", "customer"}

    def test_approval_only_in_review(self, draft):
        with tenant_context(draft.tenant_id), pytest.raises(ValidationError, match="it is draft"):
            services.approve(draft, side=Side.CUSTOMER, name="x")

    def test_withdraw_returns_to_draft_and_drops_approvals(self, draft):
        with tenant_context(draft.tenant_id):
            services.submit(draft)
            services.approve(draft, side=Side.CUSTOMER, name="x")
            services.withdraw(draft)
            assert reload(draft).status == AgreementStatus.DRAFT
            assert not draft.approvals.exists()

    def test_every_step_is_audited(self, draft):
        with tenant_context(draft.tenant_id):
            services.submit(draft)
            events = AuditEvent.objects.filter(
                model="agreements.agreement", object_id=str(draft.pk)
            )
            assert events.filter(action="create").exists()
            assert any(
                e.changes.get("status") == ["draft", "in_review"]
                for e in events.filter(action="update")
            )


class TestFrozenVersions:
    def test_an_active_agreement_is_not_edited_in_place(self, active):
        with tenant_context(active.tenant_id):
            fresh = reload(active)
            fresh.title = "Changed"
            with pytest.raises(ValidationError, match="cannot be edited; only a draft can"):
                fresh.save()
            with pytest.raises(ValidationError, match="only a draft can"):
                services.update_agreement(fresh, fresh.lock_version, title="Changed")
            tier = PriorityTier.objects.get(agreement=active, code="P1")
            tier.response_minutes = 5
            with pytest.raises(ValidationError, match="only a draft can"):
                tier.save()
            metric = MetricDefinition.objects.get(agreement=active, name="Availability")
            with pytest.raises(ValidationError, match="only a draft can"):
                metric.delete()
            assert reload(active).title == "Server operations support"

    def test_only_drafts_are_deleted(self, active):
        with tenant_context(active.tenant_id), pytest.raises(ValidationError, match="Only a draft"):
            services.delete_agreement(reload(active))


class TestOptimisticLocking:
    def test_a_stale_lock_version_is_a_conflict_and_loses_nothing(self, draft):
        with tenant_context(draft.tenant_id):
            first = reload(draft)
            second = reload(draft)
            services.update_agreement(first, first.lock_version, title="Edited by Ann")
            with pytest.raises(services.ConflictError) as caught:
                services.update_agreement(
                    second, second.lock_version, title="Edited by Bob", scope_excluded="x"
                )
            stored = reload(draft)
        assert "changed by someone else" in str(caught.value.message)
        assert stored.title == "Edited by Ann" and stored.scope_excluded == ""
        assert stored.lock_version == draft.lock_version + 1

    def test_a_failed_update_does_not_bump_the_lock(self, draft):
        with tenant_context(draft.tenant_id):
            with pytest.raises(ValidationError):
                services.update_agreement(
                    draft, draft.lock_version, effective_to=dt.date(2020, 1, 1)
                )
            assert reload(draft).lock_version == draft.lock_version
            services.update_agreement(draft, draft.lock_version, title="Still works")

    def test_lock_version_is_required(self, draft):
        with tenant_context(draft.tenant_id), pytest.raises(ValidationError, match="lock_version"):
            services.update_agreement(draft, None, title="x")

    def test_workflow_actions_check_the_lock_when_given(self, draft):
        with tenant_context(draft.tenant_id):
            with pytest.raises(services.ConflictError):
                services.submit(draft, lock_version=draft.lock_version + 5)
            services.submit(draft, lock_version=draft.lock_version)


class TestUpdateParts:
    def test_nested_lists_replace_the_parts(self, draft):
        with tenant_context(draft.tenant_id):
            tiers = [
                {"code": "P1", "name": "Urgent", "response_minutes": 10, "resolution_minutes": 60},
                {"code": "P2", "name": "High", "response_minutes": 30, "resolution_minutes": 240},
            ]
            metrics = [
                {
                    "name": "Server fault response",
                    "kind": "response_time",
                    "target": Decimal("45"),
                    "minimum_acceptable": Decimal("90"),
                    "tier_codes": ["P1"],
                },
            ]
            updated = services.update_agreement(
                draft, draft.lock_version, tiers=tiers, metrics=metrics
            )
            assert sorted(updated.tiers.values_list("code", "response_minutes")) == [
                ("P1", 10),
                ("P2", 30),
            ]
            response = updated.metrics.get()
            assert response.target == Decimal("45") and [t.code for t in response.tiers.all()] == [
                "P1"
            ]

    def test_unknown_tier_code_is_explained(self, draft):
        with tenant_context(draft.tenant_id), pytest.raises(ValidationError) as caught:
            services.update_agreement(
                draft,
                draft.lock_version,
                metrics=[
                    {
                        "name": "R",
                        "kind": "response_time",
                        "target": 1,
                        "minimum_acceptable": 2,
                        "tier_codes": ["P4", "P9"],
                    }
                ],
                tiers=[
                    {"code": "P4", "name": "Low", "response_minutes": 1, "resolution_minutes": 2}
                ],
            )
        assert caught.value.message_dict["metrics"] == [
            "Metric 'R': no priority tier P9 in this agreement."
        ]

    def test_removing_the_last_tier_of_a_ticket_metric_is_refused(self, draft):
        with tenant_context(draft.tenant_id), pytest.raises(ValidationError) as caught:
            services.update_agreement(
                draft,
                draft.lock_version,
                tiers=[
                    {
                        "code": "P4",
                        "name": "Low",
                        "response_minutes": 240,
                        "resolution_minutes": 1440,
                    }
                ],
            )
        assert "Server fault response" in caught.value.message_dict["metrics"][0]


class TestVersions:
    def test_new_version_copies_everything_into_a_draft(self, active):
        with tenant_context(active.tenant_id):
            v2 = services.new_version(active)
            assert (v2.status, v2.version, v2.supersedes_id, v2.family) == (
                "draft",
                2,
                active.pk,
                active.family,
            )
            assert v2.reference == active.reference
            assert list(v2.services.all()) == list(active.services.all())
            assert sorted(v2.tiers.values_list("code", flat=True)) == ["P1", "P2", "P3", "P4"]
            copied = v2.metrics.get(name="Server fault response")
            assert sorted(t.code for t in copied.tiers.all()) == ["P1", "P2"]
            assert all(t.agreement_id == v2.pk for t in copied.tiers.all())
            assert v2.exclusions.count() == active.exclusions.count()
            with pytest.raises(ValidationError, match="already being prepared"):
                services.new_version(reload(active))

    def test_new_version_leaves_the_old_version_whole(self, active):
        """Regression: copying the metrics used to delete the old metrics' tier links."""

        def parts(agreement):
            return {
                metric.name: sorted(tier.code for tier in metric.tiers.all())
                for metric in MetricDefinition.objects.filter(agreement=agreement)
            }

        with tenant_context(active.tenant_id):
            before = parts(active)
            v2 = services.new_version(active)
            assert (
                parts(active)
                == before
                == {
                    "Server fault response": ["P1", "P2"],
                    "Availability": [],
                }
            )
            assert parts(v2) == before
            assert PriorityTier.objects.filter(agreement=active).count() == 4

    def test_activating_a_version_supersedes_the_old_one(self, active):
        with tenant_context(active.tenant_id):
            v2 = services.new_version(active)
            v2 = services.update_agreement(
                v2,
                v2.lock_version,
                effective_from=dt.date(2026, 7, 1),
                metrics=[
                    {
                        "id": v2.metrics.get(name="Server fault response").pk,
                        "name": "Server fault response",
                        "kind": "response_time",
                        "target": Decimal("45"),
                        "minimum_acceptable": Decimal("90"),
                        "tier_codes": ["P1"],
                    },
                ],
            )
            services.submit(v2)
            services.approve(v2, side=Side.PROVIDER, name="A")
            services.approve(v2, side=Side.CUSTOMER, name="B")
            services.activate(v2)
            old = reload(active)
            assert old.status == AgreementStatus.SUPERSEDED
            assert old.effective_to == dt.date(2026, 6, 30)
            assert selectors.version_in_force(old, dt.date(2026, 6, 30)).pk == old.pk
            assert selectors.version_in_force(old, dt.date(2026, 7, 1)).pk == v2.pk
            assert [a.version for a in selectors.versions(old)] == [1, 2]
            # The old version stays readable as it was.
            assert old.snapshot["metrics"][0]["target"] == "60"

    def test_a_new_version_must_start_after_the_old_one(self, active):
        with tenant_context(active.tenant_id):
            v2 = services.new_version(active)
            services.update_agreement(v2, v2.lock_version, effective_from=active.effective_from)
            services.submit(v2)
            services.approve(v2, side=Side.PROVIDER, name="A")
            services.approve(v2, side=Side.CUSTOMER, name="B")
            with pytest.raises(ValidationError, match="must start after version 1"):
                services.activate(v2)
            assert reload(active).status == AgreementStatus.ACTIVE

    def test_only_active_agreements_get_new_versions(self, draft):
        with tenant_context(draft.tenant_id), pytest.raises(ValidationError, match="it is draft"):
            services.new_version(draft)


class TestEnding:
    def test_terminate_needs_a_reason(self, active):
        with tenant_context(active.tenant_id):
            with pytest.raises(ValidationError, match="reason"):
                services.terminate(active, reason="  ")
            ended = services.terminate(active, reason="Customer left")
        assert ended.status == AgreementStatus.TERMINATED and ended.end_reason == "Customer left"

    def test_terminate_only_active(self, draft):
        with (
            tenant_context(draft.tenant_id),
            pytest.raises(ValidationError, match="Cannot terminate"),
        ):
            services.terminate(draft, reason="x")

    def test_expire_due(self, tenant_a):
        make_active(
            tenant_a,
            "OLD-1",
            effective_from=dt.date(2024, 1, 1),
            effective_to=dt.date(2024, 12, 31),
        )
        make_active(
            tenant_a,
            "NOW-1",
            effective_from=dt.date(2024, 1, 1),
            effective_to=dt.date(2099, 12, 31),
        )
        with tenant_context(tenant_a):
            assert services.expire_due(dt.date(2026, 1, 1)) == 1
            assert Agreement.objects.get(reference="OLD-1").status == AgreementStatus.EXPIRED
            assert Agreement.objects.get(reference="NOW-1").status == AgreementStatus.ACTIVE
