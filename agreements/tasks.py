"""Scheduled agreement work. Beat runs `expire_agreements_due` daily; it queues one task
per tenant, which runs inside that tenant's scope (TenantTask) and calls the service."""

from __future__ import annotations

from celery import shared_task

from slaweb.tenancy.tasks import TenantTask, for_each_tenant


@shared_task(base=TenantTask)
def expire_agreements_due_for_tenant(tenant_id: int) -> int:
    from agreements.services import expire_due

    return expire_due()


@shared_task
def expire_agreements_due() -> int:
    """Queue the expiry of every tenant's agreements whose end date has passed."""
    return for_each_tenant(expire_agreements_due_for_tenant)
