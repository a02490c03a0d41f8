"""Factories of the metrics domain (records, clocks, results). A child copies its parent's tenant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from agreements.choices import MetricKind
from metrics.choices import ClockKind, ClockState, Source
from metrics.models import (
    ClockWarning,
    ComplianceResult,
    CreditResult,
    Delivery,
    ImprovementAction,
    Outage,
    Sample,
    Ticket,
    TicketClock,
)

from .agreements import AgreementFactory, ChildFactory, MetricDefinitionFactory, _same_tenant

__all__ = [
    "ClockWarningFactory",
    "ComplianceResultFactory",
    "CreditResultFactory",
    "DeliveryFactory",
    "ImprovementActionFactory",
    "OutageFactory",
    "SampleFactory",
    "TicketClockFactory",
    "TicketFactory",
]

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # Monday 09:00 in Shanghai


class RecordFactory(ChildFactory):
    """Records name their agreement by family and reference (pass agreement=...)."""

    class Params:
        agreement = _same_tenant(AgreementFactory)

    family = factory.SelfAttribute("agreement.family")
    agreement_reference = factory.SelfAttribute("agreement.reference")
    external_id = factory.Sequence(lambda n: f"EXT-{n}")
    content_hash = factory.Sequence(lambda n: f"{n:064d}")
    source = Source.API

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        agreement = params.get("agreement")
        if "tenant" not in params and agreement is not None:
            params["tenant"] = agreement.tenant
        return super()._generate(strategy, params)


class TicketFactory(RecordFactory):
    tier_code = "P1"
    opened_at = T0
    first_response_at = factory.LazyAttribute(lambda o: o.opened_at + dt.timedelta(minutes=10))

    class Meta:
        model = Ticket


class DeliveryFactory(RecordFactory):
    name = factory.Sequence(lambda n: f"Monthly report {n}")
    due_at = T0
    delivered_at = T0
    error_free = True

    class Meta:
        model = Delivery


class OutageFactory(RecordFactory):
    service = "ERP"
    started_at = T0
    ended_at = T0 + dt.timedelta(minutes=30)

    class Meta:
        model = Outage


class SampleFactory(RecordFactory):
    metric_name = "Satisfaction"
    period_start = dt.date(2026, 3, 1)
    value = Decimal("4.5")

    class Meta:
        model = Sample


class TicketClockFactory(ChildFactory):
    _parent_field = "ticket"
    ticket = _same_tenant(TicketFactory)
    metric = factory.SubFactory(
        MetricDefinitionFactory,
        tenant=factory.SelfAttribute("..tenant"),
        kind=MetricKind.RESPONSE_TIME,
        target=Decimal("60"),
        minimum_acceptable=Decimal("120"),
    )
    agreement = factory.SelfAttribute("metric.agreement")
    family = factory.SelfAttribute("agreement.family")
    kind = ClockKind.RESPONSE
    calendar_hash = "x"
    started_at = T0
    due_target_at = T0 + dt.timedelta(hours=1)
    due_minimum_at = T0 + dt.timedelta(hours=2)
    state = ClockState.RUNNING
    counts_at = factory.SelfAttribute("due_minimum_at")
    period_start = dt.date(2026, 3, 1)

    class Meta:
        model = TicketClock


class ClockWarningFactory(ChildFactory):
    _parent_field = "clock"
    clock = _same_tenant(TicketClockFactory)
    threshold = 75

    class Meta:
        model = ClockWarning


class ComplianceResultFactory(ChildFactory):
    _parent_field = "metric"
    metric = _same_tenant(MetricDefinitionFactory)
    agreement = factory.SelfAttribute("metric.agreement")
    family = factory.SelfAttribute("agreement.family")
    metric_name = factory.SelfAttribute("metric.name")
    period_kind = "month"
    period_start = dt.date(2026, 3, 1)
    period_end = dt.date(2026, 4, 1)
    stale = False

    class Meta:
        model = ComplianceResult


class CreditResultFactory(ChildFactory):
    _parent_field = "agreement"
    agreement = _same_tenant(AgreementFactory)
    family = factory.SelfAttribute("agreement.family")
    period_start = dt.date(2026, 3, 1)
    currency = "CNY"

    class Meta:
        model = CreditResult


class ImprovementActionFactory(ChildFactory):
    _parent_field = "metric"
    metric = _same_tenant(MetricDefinitionFactory)
    agreement = factory.SelfAttribute("metric.agreement")
    family = factory.SelfAttribute("agreement.family")
    metric_name = factory.SelfAttribute("metric.name")
    streak_start = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 4, 15)

    class Meta:
        model = ImprovementAction
