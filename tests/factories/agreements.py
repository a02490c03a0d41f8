"""Factories of the agreements domain (and metric definitions). A child copies its parent's tenant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from agreements.choices import (
    AgreementKind,
    CustomerKind,
    ExclusionKind,
    MetricKind,
    Side,
    TierCode,
)
from agreements.models import (
    Agreement,
    AgreementApproval,
    AgreementService,
    BusinessCalendar,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
    Contact,
    Customer,
    ExclusionRule,
    MetricDefinition,
    MetricTier,
    PriorityTier,
    ReportRecipient,
    Service,
)

from .base import TenantOwnedFactory

__all__ = [
    "AgreementApprovalFactory",
    "AgreementFactory",
    "AgreementServiceFactory",
    "BusinessCalendarFactory",
    "CalendarHolidayFactory",
    "CalendarSlotFactory",
    "CalendarWorkingDayFactory",
    "ContactFactory",
    "CustomerFactory",
    "ExclusionRuleFactory",
    "MetricDefinitionFactory",
    "MetricTierFactory",
    "PriorityTierFactory",
    "ReportRecipientFactory",
    "ServiceFactory",
]


class ChildFactory(TenantOwnedFactory):
    """Takes the tenant of the parent passed in (`_parent_field`) unless a tenant is given."""

    _parent_field: str = ""

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        parent = params.get(cls._parent_field)
        if "tenant" not in params and parent is not None:
            params["tenant"] = parent.tenant
        return super()._generate(strategy, params)


def _same_tenant(factory_class, **kwargs):
    return factory.SubFactory(factory_class, tenant=factory.SelfAttribute("..tenant"), **kwargs)


class ServiceFactory(TenantOwnedFactory):
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Server operations support"

    class Meta:
        model = Service


class CustomerFactory(TenantOwnedFactory):
    name = factory.Sequence(lambda n: f"Customer {n}")
    kind = CustomerKind.EXTERNAL

    class Meta:
        model = Customer


class ContactFactory(ChildFactory):
    _parent_field = "customer"
    customer = _same_tenant(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    title = "IT manager"

    class Meta:
        model = Contact


class BusinessCalendarFactory(TenantOwnedFactory):
    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Asia/Shanghai"
    country = "CN"

    class Meta:
        model = BusinessCalendar


class CalendarSlotFactory(ChildFactory):
    _parent_field = "calendar"
    calendar = _same_tenant(BusinessCalendarFactory)
    weekday = 0
    start_time = dt.time(9)
    end_time = dt.time(18)

    class Meta:
        model = CalendarSlot


class CalendarHolidayFactory(ChildFactory):
    _parent_field = "calendar"
    calendar = _same_tenant(BusinessCalendarFactory)
    date = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))
    name = "Company day off"

    class Meta:
        model = CalendarHoliday


class CalendarWorkingDayFactory(ChildFactory):
    _parent_field = "calendar"
    calendar = _same_tenant(BusinessCalendarFactory)
    date = factory.Sequence(lambda n: dt.date(2030, 1, 5) + dt.timedelta(days=7 * n))
    name = "Make-up working day"

    class Meta:
        model = CalendarWorkingDay


class AgreementFactory(ChildFactory):
    _parent_field = "customer"
    customer = _same_tenant(CustomerFactory)
    title = factory.Sequence(lambda n: f"Agreement {n}")
    reference = factory.Sequence(lambda n: f"SLA-{n:04d}")
    kind = AgreementKind.SLA
    provider_team = "IT operations"
    effective_from = dt.date(2026, 1, 1)
    monthly_fee = Decimal("10000.00")
    credit_percent = Decimal("5")

    class Meta:
        model = Agreement


class AgreementServiceFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    service = _same_tenant(ServiceFactory)

    class Meta:
        model = AgreementService


class PriorityTierFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    code = TierCode.P1
    name = "Urgent"
    response_minutes = 15
    resolution_minutes = 120

    class Meta:
        model = PriorityTier


class ExclusionRuleFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    kind = ExclusionKind.PLANNED_MAINTENANCE
    description = "Announced at least 24 hours ahead"

    class Meta:
        model = ExclusionRule


class ReportRecipientFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    side = Side.PROVIDER
    name = "Service manager"
    email = factory.Sequence(lambda n: f"manager{n}@provider.example")

    class Meta:
        model = ReportRecipient


class AgreementApprovalFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    side = Side.PROVIDER
    name = "Approver"

    class Meta:
        model = AgreementApproval


class MetricDefinitionFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    name = factory.Sequence(lambda n: f"Availability {n}")
    kind = MetricKind.AVAILABILITY_PERCENT
    target = Decimal("99.5")
    minimum_acceptable = Decimal("99")

    class Meta:
        model = MetricDefinition


class MetricTierFactory(ChildFactory):
    _parent_field = "metric"
    metric = _same_tenant(MetricDefinitionFactory)
    tier = factory.SubFactory(
        PriorityTierFactory,
        tenant=factory.SelfAttribute("..tenant"),
        agreement=factory.SelfAttribute("..metric.agreement"),
    )

    class Meta:
        model = MetricTier
