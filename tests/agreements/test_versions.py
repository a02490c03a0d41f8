"""Readable differences between versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agreements import services
from agreements.choices import Side
from agreements.diff import diff_versions
from agreements.models import Agreement, Customer
from slaweb.tenancy.context import tenant_context

# new_version() suggests a start after today: freeze a day inside version 1's term, so the
# copy keeps its end date (2026-12-31) whatever the date the suite runs on.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("inside_the_first_term"),
]


@pytest.fixture
def inside_the_first_term():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        yield


def revise(active) -> Agreement:
    v2 = services.new_version(active)
    metric_id = v2.metrics.get(name="Server fault response").pk
    return services.update_agreement(
        v2,
        v2.lock_version,
        effective_from=dt.date(2026, 7, 1),
        monthly_fee=Decimal("25000"),
        tiers=[
            {"code": "P1", "name": "Urgent", "response_minutes": 10, "resolution_minutes": 120},
            {"code": "P2", "name": "High", "response_minutes": 30, "resolution_minutes": 240},
        ],
        metrics=[
            {
                "id": metric_id,
                "name": "Server fault response",
                "kind": "response_time",
                "target": Decimal("45"),
                "minimum_acceptable": Decimal("120"),
                "tier_codes": ["P1", "P2"],
            },
            {
                "name": "Satisfaction",
                "kind": "satisfaction_score",
                "target": Decimal("4.5"),
                "minimum_acceptable": Decimal("4.0"),
            },
        ],
    )


def test_diff_lists_field_level_changes(active):
    with tenant_context(active.tenant_id):
        v2 = revise(active)
        lines = [str(change) for change in diff_versions(active, v2)]
    assert "Metric 'Server fault response' · Target: 60 → 45" in lines
    assert "Metric 'Satisfaction' added" in lines
    assert "Metric 'Availability' removed" in lines
    assert "Tier P1 · Response within (minutes): 15 → 10" in lines
    assert "Tier P3 removed" in lines and "Tier P4 removed" in lines
    assert "Agreement · Monthly fee: 20000 → 25000" in lines
    assert "Agreement · Effective from: 2026-01-01 → 2026-07-01" in lines
    assert not any("Title" in line for line in lines)


def test_tiers_and_applies_to_changes_read_as_before_and_after(active):
    with tenant_context(active.tenant_id):
        v2 = services.new_version(active)
        metric = v2.metrics.get(name="Server fault response")
        services.save_metric(metric, [v2.tiers.get(code="P1"), v2.tiers.get(code="P3")])
        services.delete_part(v2.tiers.get(code="P4"))
        changes = diff_versions(active, Agreement.objects.get(pk=v2.pk))
    rows = {(c.part, row) for c in changes for row in c.rows}
    assert ("Metric 'Server fault response'", ("Applies to", "P1, P2", "P1, P3")) in rows
    removed = [c for c in changes if c.action == "removed"]
    assert [c.part for c in removed] == ["Tier P4"]
    assert ("Response within (minutes)", "240", "—") in removed[0].rows
    assert ("Kind", "Response time", "—") not in removed[0].rows  # tiers have no kind


def test_the_comparison_page_is_a_table_of_labels_and_values(active, manager):
    with tenant_context(active.tenant_id):
        v2 = revise(active)
    page = manager.get(
        reverse("agreements:diff", args=[active.tenant.slug, v2.pk]), {"from": active.pk}
    ).content.decode()
    assert "<table" in page and "->" not in page
    assert "Before (v1)" in page and "After (v2)" in page
    assert "<del>60</del>" in page and "<ins>45</ins>" in page
    assert "Satisfaction score" in page  # the kind's label, not satisfaction_score
    assert "satisfaction_score" not in page


def test_diff_in_the_other_direction(active):
    with tenant_context(active.tenant_id):
        v2 = revise(active)
        lines = [str(change) for change in diff_versions(v2, active)]
    assert "Metric 'Server fault response' · Target: 45 → 60" in lines
    assert "Metric 'Satisfaction' removed" in lines


def test_an_active_version_is_read_from_its_snapshot(active):
    """Renaming the customer later does not rewrite what version 1 said."""
    with tenant_context(active.tenant_id):
        Customer.objects.filter(pk=active.customer_id).update(name="Renamed Co")
        v2 = revise(active)
        services.submit(v2)
        services.approve(v2, side=Side.PROVIDER, name="A")
        services.approve(v2, side=Side.CUSTOMER, name="B")
        services.activate(v2)
        changes = diff_versions(
            Agreement.objects.get(pk=active.pk), Agreement.objects.get(pk=v2.pk)
        )
    customer_change = [c for c in changes if c.field == "customer"]
    assert (
        customer_change
        and customer_change[0].old == "Customer of SLA-001"
        and customer_change[0].new == "Renamed Co"
    )


def test_identical_versions_have_no_differences(active):
    with tenant_context(active.tenant_id):
        v2 = services.new_version(active)
        assert v2.effective_from == timezone.localdate() and v2.effective_to == active.effective_to
        services.update_agreement(v2, v2.lock_version, effective_from=active.effective_from)
        assert diff_versions(active, Agreement.objects.get(pk=v2.pk)) == []
