"""Fixtures of the agreements tests: a complete draft built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements import services
from agreements.choices import CustomerKind, MetricKind, Side, TierCode
from agreements.models import BusinessCalendar, Contact, Customer, Service
from slaweb.tenancy.context import tenant_context


def business_calendar(name: str = "CN business hours") -> BusinessCalendar:
    calendar = BusinessCalendar(name=name, time_zone="Asia/Shanghai", country="CN")
    slots = [
        {"weekday": day, "start_time": start, "end_time": end}
        for day in range(5)
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
    ]
    return services.save_calendar(calendar, slots=slots)


def example_metrics() -> list[dict]:
    return [
        {
            "name": "Server fault response",
            "kind": MetricKind.RESPONSE_TIME,
            "target": Decimal("60"),
            "minimum_acceptable": Decimal("120"),
            "attainment_goal_percent": Decimal("95"),
            "tier_codes": [TierCode.P1, TierCode.P2],
        },
        {
            "name": "Availability",
            "kind": MetricKind.AVAILABILITY_PERCENT,
            "target": Decimal("99.5"),
            "minimum_acceptable": Decimal("99"),
        },
    ]


def make_draft(tenant, reference: str = "SLA-001", **overrides):
    """A complete draft (services, tiers, metrics, window, dates), ready to submit."""
    with tenant_context(tenant):
        customer = Customer.objects.create(
            name=f"Customer of {reference}", kind=CustomerKind.EXTERNAL
        )
        contact = Contact.objects.create(
            customer=customer, name="Li Lei", email=f"li.{reference.lower()}@customer.example"
        )
        service = Service.objects.create(name=f"Server operations {reference}")
        calendar = (
            BusinessCalendar.objects.filter(name="CN business hours").first() or business_calendar()
        )
        fields = {
            "title": "Server operations support",
            "reference": reference,
            "customer": customer,
            "customer_contact": contact,
            "default_calendar": calendar,
            "effective_from": dt.date(2026, 1, 1),
            "effective_to": dt.date(2026, 12, 31),
            "monthly_fee": Decimal("20000"),
            "credit_percent": Decimal("5"),
            "services": [service],
            "metrics": example_metrics(),
            **overrides,
        }
        return services.create_agreement(**fields)


def make_active(tenant, reference: str = "SLA-001", user=None, **overrides):
    agreement = make_draft(tenant, reference, **overrides)
    with tenant_context(tenant):
        services.submit(agreement)
        services.approve(agreement, side=Side.PROVIDER, name="Zhang Wei")
        services.approve(agreement, side=Side.CUSTOMER, name="Li Lei")
        return services.activate(agreement)


@pytest.fixture
def draft(tenant_a):
    return make_draft(tenant_a)


@pytest.fixture
def active(tenant_a):
    return make_active(tenant_a)


@pytest.fixture
def manager(client, manager_a):
    """The test client logged in as tenant A's manager."""
    client.force_login(manager_a.user)
    return client


@pytest.fixture
def viewer(client, viewer_a):
    """The test client logged in as tenant A's viewer."""
    client.force_login(viewer_a.user)
    return client
