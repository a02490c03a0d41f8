"""The demo data: every state, the seeds' example metrics, and idempotent."""

import pytest

from agreements import demo
from agreements.models import Agreement, BusinessCalendar, Customer, MetricDefinition
from slaweb.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_demo_covers_every_state_and_is_idempotent(tenant_a):
    with tenant_context(tenant_a):
        demo.seed(tenant_a)
        counts = (
            Agreement.objects.count(),
            Customer.objects.count(),
            MetricDefinition.objects.count(),
        )
        demo.seed(tenant_a)
        assert (
            Agreement.objects.count(),
            Customer.objects.count(),
            MetricDefinition.objects.count(),
        ) == counts
        statuses = sorted(Agreement.objects.values_list("reference", "version", "status"))
        assert statuses == [
            ("OLA-2026-003", 1, "in_review"),
            ("SLA-2025-005", 1, "expired"),
            ("SLA-2026-001", 1, "superseded"),
            ("SLA-2026-001", 2, "active"),
            ("SLA-2026-002", 1, "active"),
            ("SLA-2026-004", 1, "draft"),
            ("UC-2025-006", 1, "terminated"),
        ]
        assert set(Customer.objects.values_list("kind", flat=True)) == {"internal", "external"}
        business = BusinessCalendar.objects.get(name="中国工作日 CN business hours")
        assert business.slots.count() == 10 and business.country == "CN"
        v2 = Agreement.objects.get(reference="SLA-2026-001", version=2)
        response = v2.metrics.get(kind="response_time")
        assert (response.target, response.minimum_acceptable, response.attainment_goal_percent) == (
            45,
            120,
            95,
        )
        assert v2.snapshot["metrics"][0]["target"] == "45"


def test_the_seed_demo_command_loads_agreements(db):
    from django.core.management import call_command

    from slaweb.tenancy.models import Tenant

    def active():
        with tenant_context(Tenant.objects.get(slug="demo")):
            return sorted(
                Agreement.objects.filter(status="active").values_list("reference", "version")
            )

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = active()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    # The agreements demo and the reports demo (two measured agreements) each load once.
    assert (
        first
        == active()
        == [
            ("SLA-2025-007", 1),
            ("SLA-2025-008", 1),
            ("SLA-2026-001", 2),
            ("SLA-2026-002", 1),
        ]
    )
