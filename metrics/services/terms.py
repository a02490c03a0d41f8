"""The contract terms measurement needs, loaded once per agreement family: versions in force,
their metrics (with tier codes), tier calendars as engine values, the family's time zone."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Prefetch

from agreements.choices import TIME_KINDS
from agreements.models import (
    Agreement,
    BusinessCalendar,
    MetricDefinition,
    MetricTier,
    PriorityTier,
)
from agreements.selectors import IN_FORCE_STATUSES
from metrics.business_time import Calendar

from ..periods import agreement_time_zone


def calendar_hash(cal: Calendar) -> str:
    return hashlib.sha256(repr(cal).encode()).hexdigest()[:32]


@dataclass
class TierWindow:
    calendar_id: int | None
    calendar: Calendar
    hash: str


@dataclass
class Version:
    agreement: Agreement
    metrics: list[MetricDefinition]
    tier_codes: dict[int, frozenset[str]]  # metric id -> tier codes it covers
    windows: dict[str, TierWindow]  # tier code -> calendar
    window: TierWindow  # the agreement's service window (availability)

    def in_force_on(self, day: dt.date) -> bool:
        a = self.agreement
        return a.effective_from <= day and (a.effective_to is None or day <= a.effective_to)

    def time_metrics(self) -> list[MetricDefinition]:
        return [m for m in self.metrics if m.kind in TIME_KINDS]


@dataclass
class FamilyTerms:
    family: UUID
    reference: str
    tz: str
    versions: list[Version] = field(default_factory=list)  # in force at some time, oldest first
    all_tier_codes: frozenset[str] = frozenset()
    metric_names: dict[str, str] = field(default_factory=dict)  # name -> period kind (latest)

    def version_on(self, day: dt.date) -> Version | None:
        found = None
        for version in self.versions:
            if version.in_force_on(day):
                found = version  # the latest version wins on an overlap
        return found

    def version_for_period(self, start: dt.date, end: dt.date) -> Version | None:
        """The version in force in a period: on its last day, else the latest one overlapping it."""
        last = end - dt.timedelta(days=1)
        version = self.version_on(last)
        if version is not None:
            return version
        for candidate in reversed(self.versions):
            a = candidate.agreement
            if a.effective_from < end and (a.effective_to is None or a.effective_to >= start):
                return candidate
        return None


def _engine(calendar: BusinessCalendar | None, tz: str, cache: dict) -> TierWindow:
    key = calendar.pk if calendar is not None else f"always:{tz}"
    if key not in cache:
        cal = calendar.to_engine_calendar() if calendar is not None else Calendar.always(tz)
        cache[key] = TierWindow(calendar.pk if calendar else None, cal, calendar_hash(cal))
    return cache[key]


def load_terms(families) -> dict[UUID, FamilyTerms]:
    """Terms of every family given (a constant number of queries). The agreements' tiers,
    metrics and metric tiers are read with one plain query each and grouped here: as
    reverse prefetches Django built a filtered (tenant-scoped) queryset per agreement and
    per metric, about half of the time for 200 families."""
    families = set(families)
    if not families:
        return {}
    calendars = BusinessCalendar.objects.prefetch_related("slots", "holidays", "working_days")
    agreements = list(
        Agreement.objects.filter(family__in=families)
        .defer("snapshot")  # the approved text as JSON (kilobytes per version), never read here
        .select_related("tenant", "customer")
        .prefetch_related(Prefetch("default_calendar", queryset=calendars))
        .order_by("family", "version")
    )
    ids = [a.pk for a in agreements]
    tiers_of, metrics_of, codes_of = defaultdict(list), defaultdict(list), defaultdict(set)
    tiers = PriorityTier.objects.filter(agreement_id__in=ids).prefetch_related(
        Prefetch("calendar", queryset=calendars)
    )
    for tier in tiers:  # the model's ordering, as the prefetch had it
        tiers_of[tier.agreement_id].append(tier)
    for metric in MetricDefinition.objects.filter(agreement_id__in=ids).order_by("order", "id"):
        metrics_of[metric.agreement_id].append(metric)
    for metric_id, code in MetricTier.objects.filter(metric__agreement_id__in=ids).values_list(
        "metric_id", "tier__code"
    ):
        codes_of[metric_id].add(code)
    cache: dict = {}
    out: dict[UUID, FamilyTerms] = {}
    for agreement in agreements:
        terms = out.get(agreement.family)
        if terms is None:
            terms = out[agreement.family] = FamilyTerms(
                agreement.family, agreement.reference, agreement_time_zone(agreement)
            )
        tiers = tiers_of[agreement.pk]
        terms.all_tier_codes |= frozenset(t.code for t in tiers)
        metrics = metrics_of[agreement.pk]
        for metric in metrics:
            terms.metric_names[metric.name] = metric.period
        if agreement.status not in IN_FORCE_STATUSES or agreement.effective_from is None:
            continue
        window = _engine(agreement.default_calendar, terms.tz, cache)
        terms.versions.append(
            Version(
                agreement=agreement,
                metrics=metrics,
                tier_codes={m.pk: frozenset(codes_of[m.pk]) for m in metrics},
                windows={
                    t.code: _engine(t.calendar or agreement.default_calendar, terms.tz, cache)
                    for t in tiers
                },
                window=window,
            )
        )
    return out
