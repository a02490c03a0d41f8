"""An agreement that has left draft never changes: not through the services, not through
the API, not through SQL (database triggers of migration 0004_frozen_agreements)."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from agreements import services
from agreements.choices import AgreementStatus, Side
from agreements.models import (
    Agreement,
    AgreementApproval,
    AgreementService,
    ExclusionRule,
    MetricDefinition,
    MetricTier,
    PriorityTier,
    ReportRecipient,
)
from slaweb.tenancy.context import tenant_context

from .conftest import make_active, make_draft

pytestmark = pytest.mark.django_db

frozen_migration = importlib.import_module("agreements.migrations.0004_frozen_agreements")

PARTS = (AgreementService, PriorityTier, MetricDefinition, ExclusionRule, ReportRecipient)


def version_state(agreement_id: int) -> dict:
    """One version as values: its row without the workflow fields, and every part's rows."""
    row = Agreement.objects.filter(pk=agreement_id).values().get()
    content = {
        key: value
        for key, value in row.items()
        if key not in Agreement.WORKFLOW_FIELDS and key not in ("snapshot", "sent_back_reason")
    }
    state = {"agreement": content, "snapshot": row["snapshot"]}
    for model in PARTS:
        state[model.__name__] = list(
            model.objects.filter(agreement_id=agreement_id).order_by("pk").values()
        )
    state["MetricTier"] = list(
        MetricTier.objects.filter(metric__agreement_id=agreement_id).order_by("pk").values()
    )
    if row["status"] != AgreementStatus.IN_REVIEW:  # approvals are given while in review
        state["AgreementApproval"] = list(
            AgreementApproval.objects.filter(agreement_id=agreement_id).order_by("pk").values()
        )
    return state


def frozen_states(tenant) -> dict[int, dict]:
    ids = Agreement.objects.filter(tenant=tenant).exclude(status=AgreementStatus.DRAFT)
    return {pk: version_state(pk) for pk in ids.values_list("pk", flat=True)}


class Watch:
    """Records every frozen version before an action and checks it is unchanged after."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.checked = 0

    def after(self, action):
        before = frozen_states(self.tenant)
        result = action()
        for pk, state in before.items():
            now = version_state(pk)
            if state.get("snapshot") is None:  # activation stores the first snapshot
                now["snapshot"] = None
            if "AgreementApproval" not in state:
                now.pop("AgreementApproval", None)
            assert now == state, f"version {pk} changed"
            self.checked += 1
        return result


@time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False)
def test_no_workflow_action_changes_a_version_that_left_draft(tenant_a, manager_a):
    draft = make_draft(tenant_a, "SLA-F1")
    other = make_draft(tenant_a, "SLA-F2", effective_to=dt.date(2026, 2, 28))
    with tenant_context(tenant_a):
        watch = Watch(tenant_a)
        v1 = watch.after(lambda: services.submit(draft))
        watch.after(lambda: services.approve(v1, side=Side.PROVIDER, user=manager_a.user))
        watch.after(lambda: services.approve(v1, side=Side.CUSTOMER, name="Li Lei"))
        v1 = watch.after(lambda: services.activate(v1))
        v2 = watch.after(lambda: services.new_version(v1))

        def edit_v2():
            fresh = Agreement.objects.get(pk=v2.pk)
            metric = fresh.metrics.get(name="Server fault response")
            fresh = services.update_agreement(
                fresh,
                fresh.lock_version,
                effective_from=dt.date(2026, 7, 1),
                title="Server operations support (2)",
                tiers=[
                    {"code": "P1", "name": "Urgent", "response_minutes": 10},
                    {"code": "P2", "name": "High", "response_minutes": 20},
                ],
                metrics=[
                    {
                        "id": metric.pk,
                        "name": metric.name,
                        "kind": metric.kind,
                        "target": Decimal("30"),
                        "minimum_acceptable": Decimal("60"),
                        "tier_codes": ["P1"],
                    }
                ],
                exclusions=[{"kind": "force_majeure", "description": "Acts of God."}],
                recipients=[{"side": "customer", "email": "boss@customer.example"}],
            )
            services.delete_part(fresh.tiers.get(code="P2"))
            return fresh

        v2 = watch.after(edit_v2)
        v2 = watch.after(lambda: services.submit(Agreement.objects.get(pk=v2.pk)))
        watch.after(lambda: services.approve(v2, side=Side.CUSTOMER, name="Li Lei"))
        v2 = watch.after(
            lambda: services.send_back(v2, reason="Target too tight", lock_version=None)
        )
        v2 = watch.after(lambda: services.submit(Agreement.objects.get(pk=v2.pk)))
        watch.after(lambda: services.approve(v2, side=Side.PROVIDER, user=manager_a.user))
        watch.after(lambda: services.approve(v2, side=Side.CUSTOMER, name="Li Lei"))
        watch.after(lambda: services.activate(Agreement.objects.get(pk=v2.pk)))  # supersedes v1
        assert Agreement.objects.get(pk=v1.pk).status == AgreementStatus.SUPERSEDED
        watch.after(lambda: services.terminate(Agreement.objects.get(pk=v2.pk), reason="Ended"))

        services.submit(other)
        services.approve(other, side=Side.PROVIDER, user=manager_a.user)
        services.approve(other, side=Side.CUSTOMER, name="Li Lei")
        services.activate(other)
        assert watch.after(lambda: services.expire_due()) == 1
        assert watch.checked >= 20
        # v1 still says what it said when it was approved.
        first = MetricDefinition.objects.get(agreement=v1, name="Server fault response")
        assert sorted(first.tiers.values_list("code", flat=True)) == ["P1", "P2"]
        assert first.target == Decimal("60")


# --------------------------------------------------------------------------
# The database refuses, as the app role


def run_sql(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def frozen(error: IntegrityError) -> bool:
    return error.__cause__.diag.constraint_name == "agreement_frozen"


REFUSED = {
    "metric target": "UPDATE agreements_metricdefinition SET target = 1 WHERE agreement_id = %(a)s",
    "title": "UPDATE agreements_agreement SET title = 'Changed' WHERE id = %(a)s",
    "back to draft": "UPDATE agreements_agreement SET status = 'draft' WHERE id = %(a)s",
    "end date pushed back": "UPDATE agreements_agreement SET status = 'expired', "
    "effective_to = effective_to + 365 WHERE id = %(a)s",
    "end date without a transition": "UPDATE agreements_agreement "
    "SET effective_to = effective_to - 1 WHERE id = %(a)s",
    "second snapshot": "UPDATE agreements_agreement SET snapshot = '{}' WHERE id = %(a)s",
    "delete agreement": "DELETE FROM agreements_agreement WHERE id = %(a)s",
    "tier minutes": "UPDATE agreements_prioritytier SET response_minutes = 1 WHERE agreement_id = %(a)s",
    "tier added": "INSERT INTO agreements_prioritytier (tenant_id, agreement_id, code, name, "
    'description, response_minutes, resolution_minutes, "order") '
    "VALUES (%(t)s, %(a)s, 'P9', 'x', '', 1, 1, 9)",
    "applies-to link removed": "DELETE FROM agreements_metrictier WHERE metric_id IN "
    "(SELECT id FROM agreements_metricdefinition WHERE agreement_id = %(a)s)",
    "service removed": "DELETE FROM agreements_agreementservice WHERE agreement_id = %(a)s",
    "exclusion changed": "UPDATE agreements_exclusionrule SET description = '' WHERE agreement_id = %(a)s",
    "recipient added": "INSERT INTO agreements_reportrecipient (tenant_id, agreement_id, side, name, email) "
    "VALUES (%(t)s, %(a)s, 'customer', 'x', 'x@example.com')",
    "approval removed": "DELETE FROM agreements_agreementapproval WHERE agreement_id = %(a)s",
    "approval renamed": "UPDATE agreements_agreementapproval SET name = 'x' WHERE agreement_id = %(a)s",
}


@pytest.mark.parametrize("sql", REFUSED.values(), ids=REFUSED.keys())
def test_direct_sql_on_an_active_agreement_is_refused(active, sql):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["USER"]
    with tenant_context(active.tenant_id):
        before = version_state(active.pk)
        with pytest.raises(IntegrityError) as caught:
            run_sql(sql, {"a": active.pk, "t": active.tenant_id})
        assert frozen(caught.value)
        assert "cannot change" in str(caught.value)
        assert version_state(active.pk) == before


def test_workflow_fields_and_drafts_stay_writable(active):
    draft = make_draft(active.tenant_id, "SLA-002")
    with tenant_context(active.tenant_id):
        run_sql(
            "UPDATE agreements_agreement SET lock_version = lock_version + 1 WHERE id = %s",
            [active.pk],
        )
        run_sql(
            "UPDATE agreements_prioritytier SET response_minutes = 5 WHERE agreement_id = %s",
            [draft.pk],
        )
        # A deleted user's approval keeps its name; only the link to the account goes.
        run_sql(
            "UPDATE agreements_agreementapproval SET approved_by_id = NULL WHERE agreement_id = %s",
            [active.pk],
        )
        assert Agreement.objects.get(pk=active.pk).lock_version == active.lock_version + 1


def test_a_code_path_that_skips_the_model_check_gets_a_validation_error(active, monkeypatch):
    """The trigger, not the model, is the last word: the service turns it into FrozenError."""
    monkeypatch.setattr(Agreement, "ensure_editable_by_id", classmethod(lambda cls, pk: None))
    with tenant_context(active.tenant_id):
        tier = PriorityTier.objects.get(agreement=active, code="P4")
        with pytest.raises(services.FrozenError) as caught:
            services.delete_part(tier)
        assert caught.value.code == "frozen"
        assert PriorityTier.objects.filter(pk=tier.pk).exists()


def test_the_api_answers_409_not_500(active, api_manager, monkeypatch):
    monkeypatch.setattr(Agreement, "ensure_editable_by_id", classmethod(lambda cls, pk: None))
    monkeypatch.setattr(Agreement, "ensure_editable", lambda self: None)
    with tenant_context(active.tenant_id):
        tier = PriorityTier.objects.get(agreement=active, code="P1")
    response = api_manager.patch(
        reverse("api:prioritytier-detail", args=[tier.pk]),
        {"name": "Changed", "lock_version": active.lock_version},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert "left the draft stage" in response.json()["detail"]
    with tenant_context(active.tenant_id):
        assert PriorityTier.objects.get(pk=tier.pk).name == "Urgent"


# --------------------------------------------------------------------------
# The repair of the data damaged before the triggers existed


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_the_migration_restores_lost_tier_links_from_the_snapshot(tenant_a):
    active = make_active(tenant_a, "SLA-R1")
    owner = connections["owner"]
    with transaction.atomic(using="owner"), owner.cursor() as cursor:
        cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_a.pk)])
        cursor.execute("ALTER TABLE agreements_metrictier DISABLE TRIGGER agreement_frozen")
        cursor.execute(
            "DELETE FROM agreements_metrictier WHERE metric_id IN "
            "(SELECT id FROM agreements_metricdefinition WHERE agreement_id = %s)",
            [active.pk],
        )
        assert cursor.rowcount == 2
        restored = frozen_migration.restore_tier_links(cursor)
        cursor.execute("ALTER TABLE agreements_metrictier ENABLE TRIGGER agreement_frozen")
    assert restored == 2
    with tenant_context(tenant_a):
        metric = MetricDefinition.objects.get(agreement=active, name="Server fault response")
        assert sorted(metric.tiers.values_list("code", flat=True)) == ["P1", "P2"]
        assert not MetricDefinition.objects.get(
            agreement=active, name="Availability"
        ).tiers.exists()


def test_a_tier_or_metric_edited_through_its_own_endpoint_bumps_the_agreements_lock(
    draft, api_manager
):
    """As on the pages: a part's change is a change of the agreement (stale copies get 409)."""
    with tenant_context(draft.tenant_id):
        tier = PriorityTier.objects.get(agreement=draft, code="P4")
        metric = MetricDefinition.objects.get(agreement=draft, name="Availability")
    start = draft.lock_version
    ok = api_manager.patch(
        reverse("api:prioritytier-detail", args=[tier.pk]),
        {"name": "Low", "lock_version": start},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    stale = api_manager.patch(
        reverse("api:metricdefinition-detail", args=[metric.pk]),
        {"target": "99.6", "lock_version": start},
        format="json",
    )
    assert stale.status_code == 409
    unlocked = api_manager.patch(
        reverse("api:metricdefinition-detail", args=[metric.pk]), {"target": "99.6"}, format="json"
    )
    assert unlocked.status_code == 200
    deleted = api_manager.delete(
        reverse("api:prioritytier-detail", args=[tier.pk]) + f"?lock_version={start + 2}"
    )
    assert deleted.status_code == 204
    with tenant_context(draft.tenant_id):
        assert Agreement.objects.get(pk=draft.pk).lock_version == start + 3
