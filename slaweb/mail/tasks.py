"""Mail tasks: thin, they call the outbox service. `TenantTask` holds the tenant's scope
without a transaction; the service opens short ones, so the claim commits before the
SMTP call."""

from celery import shared_task

from slaweb.tenancy.tasks import TenantTask

from . import services


@shared_task(base=TenantTask, name="mail.send_message", ignore_result=True)
def send_message(tenant_id: int, message_id: int):
    outcome = services.deliver(int(tenant_id), int(message_id))
    return outcome.value if outcome else None


@shared_task(base=TenantTask, name="mail.send_messages", ignore_result=True)
def send_messages(tenant_id: int, message_ids: list[int]):
    services.deliver_many(int(tenant_id), [int(pk) for pk in message_ids])


@shared_task(name="mail.send_platform_message", ignore_result=True)
def send_platform_message(message_id: int):
    outcome = services.deliver_platform(int(message_id))
    return outcome.value if outcome else None


@shared_task(name="mail.dispatch_outbox", ignore_result=True)
def dispatch_outbox():
    return services.dispatch_outbox()
