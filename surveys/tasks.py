"""Celery tasks: thin, each calls a service. Beat jobs visit every tenant in its own scope."""

from __future__ import annotations

from celery import shared_task

from slaweb.tenancy.context import tenant_context
from slaweb.tenancy.models import Tenant
from slaweb.tenancy.tasks import TenantTask

from . import services


@shared_task(name="surveys.dispatch_due_campaigns")
def dispatch_due_campaigns() -> int:
    return services.dispatch_due_campaigns()


def _each_tenant(function) -> int:
    total = 0
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        with tenant_context(tenant_id):
            total += function()
    return total


@shared_task(name="surveys.send_reminders")
def send_reminders() -> int:
    return _each_tenant(services.send_reminders)


@shared_task(name="surveys.escalate_overdue_follow_ups")
def escalate_overdue_follow_ups() -> int:
    return _each_tenant(services.escalate_overdue)


@shared_task(base=TenantTask, name="surveys.refresh_satisfaction_samples")
def refresh_satisfaction_samples(tenant_id: int, round_id: int) -> int:
    from .results import push_satisfaction_samples

    return push_satisfaction_samples(round_id)  # a round deleted meanwhile: nothing to do


@shared_task(base=TenantTask, name="surveys.invite_after_tickets")
def invite_after_tickets(tenant_id: int, ticket_ids: list[int]) -> int:
    return services.invite_after_tickets(ticket_ids)
