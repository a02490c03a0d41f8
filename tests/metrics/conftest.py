"""Fixtures of the metrics tests: active agreements built through the agreements services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements import services
from agreements.choices import MetricKind, Side, TierCode
from agreements.models import BusinessCalendar, Customer, Service
from slaweb.tenancy.context import tenant_context

UTC = dt.UTC
CN = dt.timezone(dt.timedelta(hours=8))


def cn(*args) -> dt.datetime:
    """A Shanghai wall-clock time (no DST) as an aware datetime."""
    return dt.datetime(*args, tzinfo=CN)


def business_calendar(name: str = "CN business hours", holidays=()) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(name=name).first()
    if calendar is not None:
        return calendar
    slots = [
        {"weekday": day, "start_time": start, "end_time": end}
        for day in range(5)
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
    ]
    return services.save_calendar(
        BusinessCalendar(name=name, time_zone="Asia/Shanghai", country="CN"), slots=slots
    )


RESPONSE = {
    "name": "Response",
    "kind": MetricKind.RESPONSE_TIME,
    "target": Decimal("60"),
    "minimum_acceptable": Decimal("120"),
    "attainment_goal_percent": Decimal("95"),
    "tier_codes": [TierCode.P2, TierCode.P3],
}
RESOLUTION = {
    "name": "Resolution",
    "kind": MetricKind.RESOLUTION_TIME,
    "target": Decimal("240"),
    "minimum_acceptable": Decimal("480"),
    "tier_codes": [TierCode.P2, TierCode.P3],
}
AVAILABILITY = {
    "name": "Availability",
    "kind": MetricKind.AVAILABILITY_PERCENT,
    "target": Decimal("99.5"),
    "minimum_acceptable": Decimal("99"),
}


# What a stored result says, compared field by field between two ways of computing it.
RESULT_FIELDS = (
    "count_all",
    "count_within_target",
    "count_within_minimum",
    "value",
    "compliance_rate",
    "status",
    "exclusions",
    "details",
    "is_open",
    "metric_id",
    "agreement_id",
)


def make_active(tenant, reference: str = "SLA-M1", metrics=None, **overrides):
    with tenant_context(tenant):
        customer = Customer.objects.create(name=f"Customer {reference}")
        fields = {
            "title": "Server operations",
            "reference": reference,
            "customer": customer,
            "services": [Service.objects.get_or_create(name="Server operations")[0]],
            "default_calendar": business_calendar(),
            "effective_from": dt.date(2026, 1, 1),
            "monthly_fee": Decimal("20000"),
            "credit_percent": Decimal("5"),
            "metrics": [RESPONSE, RESOLUTION, AVAILABILITY] if metrics is None else metrics,
            **overrides,
        }
        agreement = services.create_agreement(**fields)
        services.submit(agreement)
        services.approve(agreement, side=Side.PROVIDER, name="Zhang Wei")
        services.approve(agreement, side=Side.CUSTOMER, name="Li Lei")
        return services.activate(agreement)


@pytest.fixture
def agreement(tenant_a):
    return make_active(tenant_a)


@pytest.fixture
def scope_a(tenant_a):
    with tenant_context(tenant_a):
        yield tenant_a
