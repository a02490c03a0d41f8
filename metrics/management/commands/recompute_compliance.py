"""Recompute compliance results on demand:

    manage.py recompute_compliance [--tenant SLUG] [--agreement REF] [--period YYYY-MM]

Without --period: the current and the previous period of every metric. Marks the rows
stale and recomputes them here (the same claim as the worker, so running both is safe).
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from slaweb.tenancy.context import Actor, tenant_scope
from slaweb.tenancy.models import Tenant


def month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise CommandError(f"--period must be YYYY-MM, got {value!r}") from None


class Command(BaseCommand):
    help = "Mark compliance results stale and recompute them (all tenants unless --tenant)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug")
        parser.add_argument("--agreement", help="agreement reference (all its versions)")
        parser.add_argument("--period", type=month, help="the period holding this month, YYYY-MM")

    def handle(self, *args, tenant=None, agreement=None, period=None, **options):
        from agreements.models import Agreement
        from metrics.services.compliance import mark_periods, recompute_stale

        if isinstance(period, str):  # call_command(period="2026-03") skips argparse
            period = month(period)
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with the slug {tenant!r}")
        total = 0
        for current in tenants:
            with tenant_scope(current, Actor(None, "recompute_compliance", "command")):
                families = None
                if agreement:
                    families = set(
                        Agreement.objects.filter(reference=agreement).values_list(
                            "family", flat=True
                        )
                    )
                    if not families:
                        continue
                with transaction.atomic():
                    marked = mark_periods(
                        current.pk, families, periods=[period] if period else None
                    )
                done = recompute_stale(current.pk)
                total += done
                self.stdout.write(f"{current.slug}: {marked} marked, {done} recomputed")
        if agreement and total == 0:
            self.stdout.write(self.style.WARNING(f"nothing recomputed for {agreement!r}"))
