"""Tasks of the import pages and the clock warnings (thin: the work is in metrics.imports and
metrics.warnings). Registered through metrics.tasks, which imports this module."""

from __future__ import annotations

from celery import shared_task

from slaweb.tenancy.tasks import TenantTask, for_each_tenant


@shared_task(base=TenantTask, name="metrics.run_import", ignore_result=True)
def run_import(tenant_id: int, job_id: int) -> str:
    from .imports import run_import as run

    return run(job_id).status


@shared_task(base=TenantTask, name="metrics.warn_running_clocks", ignore_result=True)
def warn_running_clocks(tenant_id: int) -> int:
    from .warnings import warn_running_clocks as run

    return run()


@shared_task(name="metrics.send_clock_warnings", ignore_result=True)
def send_clock_warnings() -> int:
    """Beat, every minute: one task per tenant, each in its own scope (RLS holds)."""
    return for_each_tenant(warn_running_clocks)
