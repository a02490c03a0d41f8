"""Warnings before a breach: running SLA clocks whose allotted working time is mostly used up.

Every minute beat runs `metrics.send_clock_warnings`, which queues one task per tenant; the
tenant task (`warn_running_clocks`, inside the tenant's scope and RLS) finds the candidates
with one query on the partial index of running clocks (due_target_at <= now + WINDOW), then
for each computes the share of the allotted working time used so far (business time of the
clock's calendar, minus the ticket's pauses):

    share = working time from start to now / working time from start to the target due time

At SHARE percent (settings.SLAWEB_CLOCK_WARNING_PERCENT, default 75) and at 100 % (the
target missed) a ClockWarning row is claimed (unique per clock and threshold) and, in the same
transaction, the agreement's provider responsible email gets a mail through the outbox
(idempotent per key), so each clock warns once per threshold. A clock whose target is further
than WINDOW away is looked at again once it comes within WINDOW.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agreements.models import BusinessCalendar
from slaweb.tenancy.context import current_tenant_id
from slaweb.tenancy.models import Tenant

from .business_time import elapsed
from .choices import RUNNING_STATES
from .models import ClockWarning, TicketClock
from .services.clocks import parse_pauses

WINDOW = dt.timedelta(days=2)
BREACH = 100


def warning_percent() -> int:
    return int(getattr(settings, "SLAWEB_CLOCK_WARNING_PERCENT", 75))


@dataclass(frozen=True)
class Risk:
    clock: TicketClock
    percent: int  # share of the allotted working time used, 0..100+
    level: str  # "ok", "warning", "breached"


class Shares:
    """Share of allotted working time per clock; engine calendars loaded once per run."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self._calendars: dict[int, object] = {}

    def _calendar(self, calendar_id: int):
        if calendar_id not in self._calendars:
            calendar = BusinessCalendar.objects.prefetch_related(
                "slots", "holidays", "working_days"
            ).get(pk=calendar_id)
            self._calendars[calendar_id] = calendar.to_engine_calendar()
        return self._calendars[calendar_id]

    def percent(self, clock: TicketClock) -> int:
        if self.now >= clock.due_target_at:
            return BREACH
        pauses, _open = parse_pauses(clock.ticket.pauses, self.now)
        if clock.calendar_id is None:  # 24x7: wall-clock time minus pauses
            allotted = clock.due_target_at - clock.started_at
            used = self.now - clock.started_at
            for start, end in pauses:
                allotted -= max(dt.timedelta(0), min(end, clock.due_target_at) - start)
                used -= max(dt.timedelta(0), min(end, self.now) - start)
        else:
            cal = self._calendar(clock.calendar_id)
            allotted = elapsed(cal, clock.started_at, clock.due_target_at, pauses)
            used = elapsed(cal, clock.started_at, max(self.now, clock.started_at), pauses)
        if allotted <= dt.timedelta(0):
            return BREACH
        return max(0, min(BREACH, int(used * 100 / allotted)))

    def risk(self, clock: TicketClock) -> Risk:
        percent = self.percent(clock)
        if percent >= BREACH:
            level = "breached"
        elif percent >= warning_percent():
            level = "warning"
        else:
            level = "ok"
        return Risk(clock, percent, level)


def candidates(now: dt.datetime):
    """Running clocks due (target) within WINDOW: one scan of the partial index."""
    return (
        TicketClock.objects.filter(state__in=RUNNING_STATES, due_target_at__lte=now + WINDOW)
        .select_related("ticket", "metric", "agreement")
        .order_by("due_target_at")
    )


def warn_running_clocks(now: dt.datetime | None = None) -> int:
    """Claim and send the warnings due now in the open tenant scope; returns how many."""
    now = now or timezone.now()
    shares = Shares(now)
    sent = 0
    thresholds = sorted({warning_percent(), BREACH})
    language = Tenant.objects.get(pk=current_tenant_id()).language
    for clock in candidates(now):
        percent = shares.percent(clock)
        for threshold in thresholds:
            if percent >= threshold and _claim_and_mail(clock, threshold, percent, language):
                sent += 1
    return sent


def _claim_and_mail(clock: TicketClock, threshold: int, percent: int, language: str) -> bool:
    from slaweb.mail.services import enqueue

    with transaction.atomic():
        _row, created = ClockWarning.objects.get_or_create(clock=clock, threshold=threshold)
        if not created:
            return False
        agreement = clock.agreement
        if agreement.provider_contact_email:
            enqueue(
                "clock-warning",
                agreement.provider_contact_email,
                {
                    "ticket": clock.ticket.external_id,
                    "agreement": agreement.reference,
                    "metric": clock.metric.name,
                    "due": clock.due_target_at,
                    "percent": percent,
                    "breached": threshold >= BREACH,
                    "responsible": agreement.provider_contact_name,
                },
                key=f"clock-warning:{clock.pk}:{threshold}",
                language=language,
            )
    return True
