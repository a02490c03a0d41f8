"""Scheduled agreement work. Beat runs `expire_agreements_due` daily; it queues one task
per tenant, which runs inside that tenant's scope (TenantTask) and calls the service."""

from __future__ import annotations

from celery import shared_task

from slaweb.tenancy.models import Tenant
from slaweb.tenancy.tasks import TenantTask


@shared_task(base=TenantTask)
def expire_agreements_due_for_tenant(tenant_id: int) -> int:
    from agreements.services import expire_due

    return expire_due()


@shared_task
def expire_agreements_due() -> int:
    """Queue the expiry of every tenant's agreements whose end date has passed."""
    tenant_ids = list(Tenant.objects.order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        expire_agreements_due_for_tenant.delay(tenant_id)
    return len(tenant_ids)
