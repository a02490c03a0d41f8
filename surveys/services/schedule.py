"""When a campaign runs next and which period a run asks about."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slaweb.tenancy.context import current_tenant_id
from slaweb.tenancy.models import Tenant

from ..choices import Trigger

RUN_TIME = time(9, 0)  # local time of the tenant: mail arrives in the morning
QUARTER_MONTHS = (1, 4, 7, 10)


def _zone(campaign) -> ZoneInfo:
    return ZoneInfo(
        Tenant.objects.values_list("time_zone", flat=True).get(
            pk=campaign.tenant_id or current_tenant_id()
        )
    )


def _month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_run_after(campaign, after: datetime) -> datetime | None:
    """The first run strictly after `after` (a one-off runs at once)."""
    if campaign.trigger == Trigger.ONCE:
        return after
    if campaign.trigger == Trigger.TICKET:
        return None  # runs when a ticket is resolved, not on a schedule
    zone = _zone(campaign)
    local = after.astimezone(zone)
    month = date(local.year, local.month, 1)
    for step in range(0, 15):
        candidate_month = _month_add(month, step)
        if campaign.trigger == Trigger.QUARTERLY and candidate_month.month not in QUARTER_MONTHS:
            continue
        run = datetime.combine(candidate_month.replace(day=campaign.run_day), RUN_TIME, zone)
        if run > after:
            return run.astimezone(ZoneInfo("UTC"))
    raise ValueError("no next run found")  # unreachable with day 1-28


def period_for_run(campaign, run_at: datetime) -> tuple[date, date]:
    """Monthly: the previous month; quarterly: the previous quarter; one-off: the run's day."""
    local = run_at.astimezone(_zone(campaign)).date()
    first = local.replace(day=1)
    if campaign.trigger == Trigger.MONTHLY:
        start = _month_add(first, -1)
        return start, first - timedelta(days=1)
    if campaign.trigger == Trigger.QUARTERLY:
        quarter_first = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
        start = _month_add(quarter_first, -3)
        return start, quarter_first - timedelta(days=1)
    return local, local
