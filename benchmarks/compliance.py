"""Benchmark: ingestion, period aggregation, full recompute after a calendar change, worker
memory - each printed beside a floor measured in the same run.

    .venv/bin/python benchmarks/compliance.py [--tickets N] [--agreements A] [--memory-sizes 20000,100000]
    (DJANGO_SETTINGS_MODULE defaults to benchmarks.settings: development with DEBUG off;
    point DATABASE_URL and DATABASE_OWNER_URL at a scratch database: it creates a tenant "bench-<N>" there)

- ingestion: ``ingest_records`` (the bulk API's path: validation, upsert, clocks, stale
  marking) in batches of 10,000, records/s; floor: the same rows written by one plain
  INSERT ... SELECT FROM unnest per batch into a temp copy of the table (no checks, no clocks);
- period aggregation: the worker recomputing every (metric, agreement, month) result from the
  stored clocks; floor: one plain GROUP BY counting the same clocks within fixed thresholds;
- full recompute after a calendar change (a company day off added): every clock, then every
  period; floor: rewriting every clock row with itself (one UPDATE);
- peak memory (VmHWM: its own peak RSS) of a fresh process doing that recompute, at two sizes
  (`--memory-only` measures only that, on the tenants a previous run left).

Tickets: opened uniformly over 2026, P2/P3 (business hours with CN holidays), 30 % with 1-2
pauses, response and resolution clocks each. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db import connection, connections, transaction  # noqa: E402

from agreements import services as agreement_services  # noqa: E402
from agreements.choices import MetricKind, Side  # noqa: E402
from agreements.models import Agreement, BusinessCalendar, CalendarHoliday, Customer, Service  # noqa: E402
from metrics import tasks  # noqa: E402
from metrics.models import ComplianceResult, Ticket, TicketClock  # noqa: E402
from metrics.services.clocks import recompute_clocks  # noqa: E402
from metrics.services.compliance import recompute_stale  # noqa: E402
from metrics.services.ingest import ingest_records  # noqa: E402
from slaweb.tenancy.context import tenant_context, tenant_scope  # noqa: E402
from slaweb.tenancy.models import Tenant  # noqa: E402

BATCH = 10_000
# The bench measures in-process work; the worker task queued on commit is not sent.
tasks.recompute_compliance.delay_on_commit = lambda *args, **kwargs: None
tasks.recompute_clocks.delay = lambda *args, **kwargs: None  # timed here, in process


def setup(slug: str, agreements: int) -> tuple[Tenant, list[str], BusinessCalendar]:
    tenant, _ = Tenant.objects.get_or_create(
        slug=slug, defaults={"name": slug, "time_zone": "Asia/Shanghai", "country": "CN"}
    )
    with tenant_context(tenant):
        calendar = BusinessCalendar.objects.filter(name="Bench CN").first()
        if calendar is None:
            slots = [
                {"weekday": d, "start_time": s, "end_time": e}
                for d in range(5)
                for s, e in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
            ]
            calendar = agreement_services.save_calendar(
                BusinessCalendar(name="Bench CN", time_zone="Asia/Shanghai", country="CN"),
                slots=slots,
            )
        customer, _ = Customer.objects.get_or_create(name="Bench customer")
        service, _ = Service.objects.get_or_create(name="Bench service")
        refs = []
        for i in range(agreements):
            ref = f"B-{i:04d}"
            refs.append(ref)
            if Agreement.objects.filter(reference=ref).exists():
                continue
            metrics = [
                {
                    "name": "Response",
                    "kind": MetricKind.RESPONSE_TIME,
                    "target": Decimal(60),
                    "minimum_acceptable": Decimal(120),
                    "attainment_goal_percent": Decimal(95),
                    "tier_codes": ["P2", "P3"],
                },
                {
                    "name": "Resolution",
                    "kind": MetricKind.RESOLUTION_TIME,
                    "target": Decimal(480),
                    "minimum_acceptable": Decimal(960),
                    "tier_codes": ["P2", "P3"],
                },
            ]
            a = agreement_services.create_agreement(
                title=f"Bench {i}",
                reference=ref,
                customer=customer,
                services=[service],
                default_calendar=calendar,
                effective_from=dt.date(2026, 1, 1),
                monthly_fee=Decimal(10000),
                credit_percent=Decimal(5),
                metrics=metrics,
            )
            agreement_services.submit(a)
            agreement_services.approve(a, side=Side.PROVIDER, name="P")
            agreement_services.approve(a, side=Side.CUSTOMER, name="C")
            agreement_services.activate(a)
    analyze_setup()
    return tenant, refs, calendar


def analyze_setup() -> None:
    """Statistics for the tables setup just filled, as autovacuum gives them within a minute.
    Without them the first batches' foreign-key checks (run at commit, cached per session)
    are planned against tables PostgreSQL believes empty and scan the tenant's agreements and
    metric definitions once per clock row: 17 s instead of 1.9 s of checks for 20,000 tickets
    over 200 agreements in a fresh database, a cost of the set-up, not of ingestion."""
    with connections["owner"].cursor() as cur:
        for table in (
            "tenancy_tenant",
            "agreements_agreement",
            "agreements_metricdefinition",
            "agreements_metrictier",
            "agreements_prioritytier",
            "agreements_businesscalendar",
        ):
            cur.execute(f"ANALYZE {table}")


def records(n: int, refs: list[str], seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    out = []
    for i in range(n):
        opened = base + dt.timedelta(seconds=rng.randrange(365 * 86400 - 3 * 86400))
        record = {
            "agreement": refs[i % len(refs)],
            "external_id": f"T{i}",
            "priority": "P2" if i % 2 else "P3",
            "kind": "incident",
            "opened_at": opened.isoformat(),
            "first_response_at": (
                opened + dt.timedelta(minutes=rng.expovariate(1 / 90))
            ).isoformat(),
            "resolved_at": (opened + dt.timedelta(hours=rng.expovariate(1 / 20))).isoformat(),
            "first_contact_resolved": rng.random() < 0.8,
        }
        if rng.random() < 0.3:
            pauses = []
            for _ in range(rng.randrange(1, 3)):
                start = opened + dt.timedelta(hours=rng.random() * 10)
                pauses.append(
                    {
                        "start": start.isoformat(),
                        "end": (start + dt.timedelta(hours=rng.random() * 30)).isoformat(),
                    }
                )
            record["pauses"] = pauses
        out.append(record)
    return out


def ingest(tenant, rows) -> float:
    started = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        with tenant_context(tenant):
            result = ingest_records("tickets", rows[i : i + BATCH])
            assert not result.errors, result.errors[:3]
    return time.perf_counter() - started


def ingest_floor(tenant, rows) -> float:
    """Plain INSERT ... SELECT FROM unnest of the same rows (already parsed), per batch."""
    parsed = [
        (
            r["external_id"],
            r["priority"],
            dt.datetime.fromisoformat(r["opened_at"]),
            dt.datetime.fromisoformat(r["first_response_at"]),
            dt.datetime.fromisoformat(r["resolved_at"]),
        )
        for r in rows
    ]
    started = time.perf_counter()
    with tenant_context(tenant), connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_floor (LIKE metrics_ticket INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        for i in range(0, len(parsed), BATCH):
            chunk = parsed[i : i + BATCH]
            cur.execute(
                """INSERT INTO bench_floor (id, tenant_id, family, agreement_reference, external_id,
                       content_hash, source, created_at, updated_at, tier_code, kind, category,
                       opened_at, first_response_at, resolved_at, first_contact_resolved,
                       escalated, recurrence_of, pauses)
                   SELECT row_number() OVER (), %s, gen_random_uuid(), 'x', u.e, 'h', 'api', now(), now(),
                          u.p, 'incident', '', u.o, u.f, u.r, true, false, '', '[]'
                   FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[],
                               %s::timestamptz[]) AS u(e, p, o, f, r)""",
                [tenant.pk, *map(list, zip(*chunk, strict=True))],
            )
    return time.perf_counter() - started


def aggregate(tenant) -> tuple[float, int]:
    with tenant_scope(tenant):
        started = time.perf_counter()
        done = recompute_stale(tenant.pk)
        return time.perf_counter() - started, done


def aggregate_floor(tenant) -> float:
    with tenant_context(tenant), connection.cursor() as cur:
        started = time.perf_counter()
        cur.execute(
            """CREATE TEMP TABLE bench_groups ON COMMIT DROP AS
               SELECT family, metric_id, period_start, count(*) AS n,
                      count(*) FILTER (WHERE elapsed <= interval '60 minutes') AS t,
                      count(*) FILTER (WHERE elapsed <= interval '120 minutes') AS m
               FROM metrics_ticketclock WHERE tenant_id = %s
               GROUP BY family, metric_id, period_start""",
            [tenant.pk],
        )
        return time.perf_counter() - started


def recompute_all(tenant, calendar) -> tuple[float, float]:
    """A company day off on 3 June added (or, on a run over kept data, removed again)."""
    with tenant_context(tenant):
        day_off = CalendarHoliday.objects.filter(calendar=calendar, date=dt.date(2026, 6, 3))
        if day_off.exists():
            day_off.delete()
        else:
            CalendarHoliday.objects.create(
                calendar=calendar, date=dt.date(2026, 6, 3), name="Company day"
            )
    with tenant_scope(tenant):
        started = time.perf_counter()
        recompute_clocks(tenant.pk, calendar_id=calendar.pk)
        clocks = time.perf_counter() - started
        recompute_stale(tenant.pk)
    return clocks, time.perf_counter() - started


def recompute_floor(tenant) -> float:
    with tenant_context(tenant), connection.cursor() as cur:
        started = time.perf_counter()
        cur.execute(
            "UPDATE metrics_ticketclock SET computed_at = computed_at WHERE tenant_id = %s",
            [tenant.pk],
        )
        return time.perf_counter() - started


def memory_child(slug: str) -> None:
    """Run in a fresh process: recompute every clock and period of the tenant."""
    tenant = Tenant.objects.get(slug=slug)
    with tenant_scope(tenant):
        calendar = BusinessCalendar.objects.get(name="Bench CN")
        recompute_clocks(tenant.pk, calendar_id=calendar.pk)
        ComplianceResult.objects.update(stale=True)
        recompute_stale(tenant.pk)
    # VmHWM: this process's own peak. ru_maxrss would carry over the peak of the parent that
    # forked it (Linux keeps it across exec): the parent holds every generated record.
    status = Path("/proc/self/status").read_text()
    print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def prepared(slug: str, n: int, agreements: int):
    tenant, refs, calendar = setup(slug, agreements)
    with tenant_scope(tenant):
        have = Ticket.objects.count()
    if have < n:
        ingest(tenant, records(n, refs)[have:])
    return tenant, refs, calendar


def timed(tenant, refs, calendar, n: int, reuse: bool = False) -> None:
    """Ingestion, aggregation and recompute, each beside its floor."""
    rows = [] if reuse else records(n, refs)
    print(f"{n:,} tickets over {len(refs)} agreements and 12 months, 30 % with pauses")

    if reuse:  # the tickets of an earlier run: every result recomputed as on a first run
        with tenant_scope(tenant):
            ComplianceResult.objects.update(stale=True)
    else:
        seconds = ingest(tenant, rows)
        with tenant_scope(tenant):
            clocks = TicketClock.objects.count()
            stale = ComplianceResult.objects.filter(stale=True).count()
        floor = ingest_floor(tenant, rows)
        print(
            f"ingestion: {n / seconds:,.0f} records/s ({seconds:.1f} s, {clocks:,} clocks, "
            f"{stale:,} results marked stale); floor {n / floor:,.0f} rows/s ({floor:.2f} s): "
            f"{seconds / floor:.1f}x"
        )

    seconds, done = aggregate(tenant)
    floor = aggregate_floor(tenant)
    print(
        f"period aggregation: {done:,} results in {seconds:.2f} s; plain GROUP BY {floor:.3f} s: "
        f"{seconds / floor:.1f}x"
    )

    clocks_s, total = recompute_all(tenant, calendar)
    floor = recompute_floor(tenant)
    print(
        f"recompute after a calendar change: clocks {clocks_s:.1f} s, clocks + periods {total:.1f} s "
        f"(goal {20 * n / 1_000_000:.1f} s: 20 s per 1,000,000 tickets); "
        f"rewriting every clock row {floor:.2f} s: {total / floor:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--agreements", type=int, default=200)
    parser.add_argument("--memory-sizes", default="")
    parser.add_argument(
        "--slug", help="tenant slug (default bench-<tickets>); use a new one per run"
    )
    parser.add_argument(
        "--memory-only", action="store_true", help="only the memory step (data kept from a run)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="no ingestion: time the rest on a run's kept data"
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    n = args.tickets
    tenant, refs, calendar = setup(args.slug or f"bench-{n}", args.agreements)
    if not args.memory_only:
        timed(tenant, refs, calendar, n, reuse=args.reuse)
    for size in [int(s) for s in args.memory_sizes.split(",") if s]:
        # At the run's own size, the tenant just measured serves (no second load).
        slug = tenant.slug if size == n else f"bench-mem-{size}"
        prepared(slug, size, args.agreements if size == n else min(args.agreements, 20))
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", slug],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        ).stdout.split()[-1]
        print(
            f"worker peak memory (peak RSS) recomputing {size:,} tickets: {int(out) / 1024:.0f} MB"
        )


if __name__ == "__main__":
    with transaction.atomic():
        pass
    main()
