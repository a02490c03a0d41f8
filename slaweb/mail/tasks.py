"""Mail tasks. Not TenantTask: that base holds one transaction around the run, and the
claim must commit before the SMTP call, so the service opens short transactions itself."""

from celery import shared_task

from . import services


@shared_task(name="mail.send_message", ignore_result=True)
def send_message(tenant_id: int, message_id: int):
    outcome = services.deliver(int(tenant_id), int(message_id))
    return outcome.value if outcome else None


@shared_task(name="mail.send_platform_message", ignore_result=True)
def send_platform_message(message_id: int):
    outcome = services.deliver_platform(int(message_id))
    return outcome.value if outcome else None


@shared_task(name="mail.dispatch_outbox", ignore_result=True)
def dispatch_outbox():
    return services.dispatch_outbox()
