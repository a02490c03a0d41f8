"""Benchmark: a first aggregation (improvement actions and credits created) and a
re-aggregation, over a tenant loaded once by benchmarks/compliance.py's data, each beside
the same plain GROUP BY floor measured in the same round, with the statements per run.

    .venv/bin/python benchmarks/compliance_first_run.py --tickets 100000 --agreements 200 \
        --slug agg-first-100k [--rounds 3]

The tenant is loaded on the first call (ingestion not timed) and reused afterwards. Each
round: delete the tenant's improvement actions and credits and mark every result stale
(a first aggregation: every run of breaches creates its action and audit event), time the
worker; mark every result stale again and time it (a re-aggregation: nothing new to
create); then the floor. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

from compliance import aggregate_floor, prepared  # noqa: E402 (sets up Django)
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from metrics.models import ComplianceResult, CreditResult, ImprovementAction  # noqa: E402
from metrics.services.compliance import recompute_stale  # noqa: E402
from slaweb.tenancy.context import tenant_context, tenant_scope  # noqa: E402


def reset(tenant, first: bool) -> None:
    with tenant_context(tenant), connection.cursor() as cur:
        if first:  # plain deletes: the ORM would audit each row
            cur.execute(
                f"DELETE FROM {ImprovementAction._meta.db_table} WHERE tenant_id = %s", [tenant.pk]
            )
            cur.execute(
                f"DELETE FROM {CreditResult._meta.db_table} WHERE tenant_id = %s", [tenant.pk]
            )
        cur.execute(
            f"UPDATE {ComplianceResult._meta.db_table} SET stale = true, claimed_at = NULL "
            "WHERE tenant_id = %s",
            [tenant.pk],
        )


def timed(tenant, count: bool) -> tuple[float, int, int, int]:
    with tenant_scope(tenant):
        before = ImprovementAction.objects.count()
        started = time.perf_counter()
        if count:
            connection.queries_log.clear()  # a full log (9,000) would capture nothing
            with CaptureQueriesContext(connection) as queries:
                done = recompute_stale(tenant.pk)
        else:
            done = recompute_stale(tenant.pk)
        seconds = time.perf_counter() - started
        created = ImprovementAction.objects.count() - before
    return seconds, done, created, len(queries.captured_queries) if count else -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--agreements", type=int, default=200)
    parser.add_argument("--slug", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tenant, _refs, _cal = prepared(args.slug, args.tickets, args.agreements)
    print(f"{args.tickets:,} tickets over {args.agreements} agreements ({args.slug})")
    print(f"load: {os.getloadavg()[0]:.2f}")
    for first in (True, False):  # statements per run (counted apart: capturing costs time)
        reset(tenant, first)
        _s, done, created, statements = timed(tenant, count=True)
        label = "first" if first else "again"
        print(f"{label}: {done:,} results, {created} actions created, {statements} statements")
    for k in range(args.rounds):
        reset(tenant, True)
        first, done, created, _ = timed(tenant, count=False)
        reset(tenant, False)
        again, _d, _c, _ = timed(tenant, count=False)
        floor = aggregate_floor(tenant)
        print(
            f"round {k + 1} (load {os.getloadavg()[0]:.2f}): first aggregation {first:.3f} s "
            f"({created} actions, {first / floor:.1f}x), re-aggregation {again:.3f} s "
            f"({again / floor:.1f}x), plain GROUP BY {floor:.3f} s"
        )


if __name__ == "__main__":
    main()
