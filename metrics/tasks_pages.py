"""Tasks of the import pages and the clock warnings (thin: the work is in metrics.imports and
metrics.warnings). Registered through metrics.tasks, which imports this module."""

from __future__ import annotations

from celery import shared_task

from slaweb.tenancy.tasks import TenantTask


@shared_task(base=TenantTask, name="metrics.run_import", ignore_result=True)
def run_import(tenant_id: int, job_id: int) -> str:
    from .imports import run_import as run

    return run(job_id).status
