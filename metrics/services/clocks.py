"""Per-ticket SLA clocks: computed with the exact Python engine when tickets are written
(and in batches when a calendar or a version changes), stored set-based."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agreements.choices import ClockStop, MetricKind
from metrics.business_time import due, elapsed

from ..choices import ClockKind, ClockState
from ..models import Ticket, TicketClock
from ..periods import period_of
from .terms import FamilyTerms, load_terms

FAR = dt.timedelta(days=3650)
RECOMPUTE_BATCH = 20_000  # tickets per transaction of a recompute


@dataclass(frozen=True)
class ClockValue:
    ticket_id: int
    metric_id: int
    agreement_id: int
    family: object
    kind: str
    calendar_id: int | None
    calendar_hash: str
    started_at: dt.datetime
    due_target_at: dt.datetime
    due_minimum_at: dt.datetime
    stopped_at: dt.datetime | None
    elapsed: dt.timedelta | None
    paused: dt.timedelta | None
    state: str
    counts_at: dt.datetime
    period_start: dt.date


def parse_pauses(stored: list, now: dt.datetime) -> tuple[list[tuple], bool]:
    """Stored pauses as (start, end) pairs; an open pause is closed at `now`."""
    pairs, open_pause = [], False
    for start, end in stored or []:
        s = dt.datetime.fromisoformat(start)
        if end is None:
            open_pause = True
            e = max(now, s)
        else:
            e = dt.datetime.fromisoformat(end)
        pairs.append((s, e))
    return pairs, open_pause


def minutes(value: Decimal) -> dt.timedelta:
    return dt.timedelta(minutes=float(value)) if value % 1 else dt.timedelta(minutes=int(value))


def stop_instant(ticket, metric) -> dt.datetime | None:
    if metric.kind == MetricKind.RESPONSE_TIME:
        return ticket.first_response_at
    if metric.clock_stop == ClockStop.WORKAROUND and ticket.workaround_at is not None:
        if ticket.resolved_at is None:
            return ticket.workaround_at
        return min(ticket.workaround_at, ticket.resolved_at)
    return ticket.resolved_at


def clocks_for(ticket, terms: FamilyTerms, now: dt.datetime) -> list[ClockValue]:
    """Every clock of one ticket under the version in force when it was opened."""
    version = terms.version_on(timezone.localtime(ticket.opened_at, _zone(terms.tz)).date())
    if version is None:
        return []
    window = version.windows.get(ticket.tier_code)
    if window is None:
        return []
    pauses, open_pause = parse_pauses(ticket.pauses, now)
    out = []
    for metric in version.time_metrics():
        if ticket.tier_code not in version.tier_codes[metric.pk]:
            continue
        if not metric.covers_ticket(ticket.kind, ticket.category):
            continue
        cal = window.calendar
        start = ticket.opened_at
        target, minimum = minutes(metric.target), minutes(metric.minimum_acceptable)
        try:
            due_target = due(cal, start, target, pauses)
            # Work is additive, so the minimum's due time continues from the target's.
            due_minimum = due(cal, due_target, minimum - target, pauses)
        except ValueError:  # a window without working time: nothing is ever due
            continue
        stop = stop_instant(ticket, metric)
        if stop is not None:
            worked = elapsed(cal, start, stop, pauses)
            paused = elapsed(cal, start, stop) - worked if pauses else dt.timedelta(0)
            if worked <= target:
                state = ClockState.WITHIN_TARGET
            elif worked <= minimum:
                state = ClockState.WITHIN_MINIMUM
            else:
                state = ClockState.MISSED
            counts_at = min(stop, due_minimum)
        else:
            worked = paused = None
            state = ClockState.PAUSED if open_pause else ClockState.RUNNING
            counts_at = due_minimum
        out.append(
            ClockValue(
                ticket_id=ticket.pk,
                metric_id=metric.pk,
                agreement_id=version.agreement.pk,
                family=ticket.family,
                kind=ClockKind.RESPONSE
                if metric.kind == MetricKind.RESPONSE_TIME
                else ClockKind.RESOLUTION,
                calendar_id=window.calendar_id,
                calendar_hash=window.hash,
                started_at=start,
                due_target_at=due_target,
                due_minimum_at=due_minimum,
                stopped_at=stop,
                elapsed=worked,
                paused=paused,
                state=state,
                counts_at=counts_at,
                period_start=period_of(counts_at, metric.period, terms.tz),
            )
        )
    return out


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


CLOCK_COLUMNS = (
    "ticket_id",
    "metric_id",
    "agreement_id",
    "family",
    "kind",
    "calendar_id",
    "calendar_hash",
    "started_at",
    "due_target_at",
    "due_minimum_at",
    "stopped_at",
    "elapsed",
    "paused",
    "state",
    "counts_at",
    "period_start",
)
_TYPES = (
    "bigint",
    "bigint",
    "bigint",
    "uuid",
    "text",
    "bigint",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "interval",
    "interval",
    "text",
    "timestamptz",
    "date",
)


def write_clocks(
    tenant_id: int, ticket_ids: Iterable[int], values: list[ClockValue]
) -> list[tuple]:
    """Make the clocks of these tickets exactly `values`, set-based (upsert, then drop the rest).

    Returns (family, metric_id, period_start) of every clock before and after, for stale marking.
    """
    from ..models import ClockWarning

    ticket_ids = list(ticket_ids)
    table = TicketClock._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, ticket_id, metric_id, family, period_start FROM {table} "
            "WHERE tenant_id = %s AND ticket_id = ANY(%s)",
            [tenant_id, ticket_ids],
        )
        existing = cur.fetchall()
        touched = [(family, metric, period) for _id, _t, metric, family, period in existing]
        keep = {(v.ticket_id, v.metric_id) for v in values}
        gone = [pk for pk, ticket, metric, _f, _p in existing if (ticket, metric) not in keep]
        columns = [[getattr(v, c) for v in values] for c in CLOCK_COLUMNS]
        unnest = ", ".join(f"%s::{t}[]" for t in _TYPES)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in CLOCK_COLUMNS[2:])
        if values:
            cur.execute(
                f"""
                INSERT INTO {table} (tenant_id, {", ".join(CLOCK_COLUMNS)}, computed_at)
                SELECT %s, u.*, now() FROM unnest({unnest}) AS u
                ON CONFLICT (tenant_id, ticket_id, metric_id)
                DO UPDATE SET {updates}, computed_at = now()
                """,
                [tenant_id, *columns],
            )
        if gone:  # clocks of metrics that no longer cover their ticket
            cur.execute(
                f"DELETE FROM {ClockWarning._meta.db_table} WHERE tenant_id = %s AND clock_id = ANY(%s)",
                [tenant_id, gone],
            )
            cur.execute(
                f"DELETE FROM {table} WHERE tenant_id = %s AND id = ANY(%s)", [tenant_id, gone]
            )
    touched += [(v.family, v.metric_id, v.period_start) for v in values]
    return touched


def compute_clocks_python(
    tenant_id: int, ticket_ids: list[int], now: dt.datetime | None = None, terms: dict | None = None
):
    """Compute (with the Python engine, the reference) and store the clocks of these tickets;
    returns the touched (family, metric, period). `compute_clocks` does the same in SQL."""
    now = now or timezone.now()
    touched = []
    for start in range(0, len(ticket_ids), 5000):
        batch = ticket_ids[start : start + 5000]
        tickets = list(
            Ticket.objects.filter(tenant_id=tenant_id, pk__in=batch).only(
                "id",
                "family",
                "tier_code",
                "kind",
                "category",
                "opened_at",
                "first_response_at",
                "workaround_at",
                "resolved_at",
                "pauses",
            )
        )
        families = {t.family for t in tickets}
        if terms is None or not families <= set(terms):
            terms = load_terms(families)
        values = [
            v for t in tickets if t.family in terms for v in clocks_for(t, terms[t.family], now)
        ]
        touched += write_clocks(tenant_id, batch, values)
    return touched


def compute_clocks(
    tenant_id: int, ticket_ids: list[int], now: dt.datetime | None = None, terms: dict | None = None
):
    """Compute and store the clocks of these tickets set-based in PostgreSQL (clocks_sql: the
    same values as the Python engine, tested against it); returns the touched (family, metric,
    period). Falls back to the Python engine for a batch the arrays cannot cover."""
    from . import clocks_sql

    now = now or timezone.now()
    if not ticket_ids:
        return []
    if terms is None:
        families = set(
            Ticket.objects.filter(tenant_id=tenant_id, pk__in=ticket_ids)
            .values_list("family", flat=True)
            .distinct()
        )
        terms = load_terms(families)
    try:
        with transaction.atomic():
            return clocks_sql.compute_and_write(tenant_id, list(ticket_ids), now, terms)
    except clocks_sql.Unsupported:
        return compute_clocks_python(tenant_id, list(ticket_ids), now, terms)


def families_of(calendar_id: int | None = None, families=None) -> set:
    """The agreement families using a calendar (as service window or a tier's), or `families`."""
    from agreements.models import Agreement, PriorityTier

    if calendar_id is None:
        return {str(f) for f in families or ()}
    return {
        str(f)
        for f in set(
            Agreement.objects.filter(default_calendar_id=calendar_id).values_list(
                "family", flat=True
            )
        )
        | set(
            PriorityTier.objects.filter(calendar_id=calendar_id).values_list(
                "agreement__family", flat=True
            )
        )
    }


def tickets_to_recompute(calendar_id: int | None = None, families=None) -> QuerySet:
    """Tickets whose clocks a calendar change or a new version can move: every ticket of the
    families using the calendar (or given), except those with a clock stopped in a published
    period (frozen; see compliance.published): one query for the published ranges."""
    from .compliance import published, published_ranges

    families = families_of(calendar_id, families)
    ranges = published_ranges(families)
    stopped = TicketClock.objects.filter(family__in=families, stopped_at__isnull=False)
    frozen = Q()
    pairs = stopped.order_by().values_list("family", "period_start").distinct()
    for family, period in pairs if ranges else ():
        if published(family, period, ranges):
            frozen |= Q(family=family, period_start=period)
    tickets = Ticket.objects.filter(family__in=families)
    if frozen:
        tickets = tickets.exclude(pk__in=stopped.filter(frozen).values("ticket_id"))
    return tickets.order_by("pk").values_list("pk", flat=True)


def recompute_clocks(
    tenant_id: int, *, calendar_id: int | None = None, families=None, progress=None
) -> int:
    """Recompute the clocks a calendar change or a new agreement version affects, in batches
    (each its own transaction), then mark the touched periods stale. Returns tickets done."""
    from django.db import transaction

    from .stale import mark_stale

    tickets = tickets_to_recompute(calendar_id, families)
    total = tickets.count()
    now = timezone.now()
    done = last = 0
    terms = load_terms(families_of(calendar_id, families))
    if progress is not None:
        progress(0, total)
    # Ids a batch at a time (keyset), not all at once: the worker's memory stays flat.
    while batch := list(tickets.filter(pk__gt=last)[:RECOMPUTE_BATCH]):
        with transaction.atomic():
            touched = compute_clocks(tenant_id, batch, now, terms)
            mark_stale(tenant_id, {}, touched, terms=terms)
        done, last = done + len(batch), batch[-1]
        if progress is not None:
            progress(done, max(total, done))
    return done
