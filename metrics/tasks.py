"""Celery tasks of the metrics domain: thin, per tenant (TenantTask), calling the services.

- recompute_compliance: the worker that claims stale results (SKIP LOCKED) and recomputes them;
  queued on commit by every ingest, so a burst costs one recompute per stale period.
- recompute_open_periods: nightly (beat) - the current and previous periods of every metric.
- recompute_clocks: after a calendar change or a new agreement version (a ClockRecompute
  row holds its progress).
"""

from __future__ import annotations

from celery import shared_task

from slaweb.tenancy.tasks import TenantTask, for_each_tenant


@shared_task(base=TenantTask, name="metrics.recompute_compliance", ignore_result=True)
def recompute_compliance(tenant_id: int) -> int:
    from .services.compliance import recompute_stale

    return recompute_stale(tenant_id)


@shared_task(base=TenantTask, name="metrics.recompute_open_periods_for_tenant", ignore_result=True)
def recompute_open_periods_for_tenant(tenant_id: int) -> int:
    from django.db import transaction

    from .services.compliance import mark_periods, recompute_stale

    with transaction.atomic():
        mark_periods(tenant_id)
    return recompute_stale(tenant_id)


@shared_task(name="metrics.recompute_open_periods", ignore_result=True)
def recompute_open_periods() -> int:
    return for_each_tenant(recompute_open_periods_for_tenant)


@shared_task(base=TenantTask, name="metrics.recompute_clocks", ignore_result=True)
def recompute_clocks(tenant_id: int, job_id: int) -> int:
    from .services.hooks import run_recompute

    done = run_recompute(job_id)
    recompute_compliance.delay(tenant_id)
    return done


from .tasks_pages import run_import, send_clock_warnings, warn_running_clocks  # noqa: E402,F401,E501 (h5b)
