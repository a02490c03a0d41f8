"""Reactions to other apps' signals: the outbox's bounces, metrics' resolved tickets."""

from metrics.signals import ticket_resolved
from slaweb.mail.signals import message_bounced

from . import services


def _on_bounce(sender, tenant_id=None, address="", message=None, **kwargs):
    if tenant_id is not None:
        services.mark_bounced(tenant_id, address)


message_bounced.connect(_on_bounce, dispatch_uid="surveys-bounce")


def _on_tickets_resolved(sender, tenant_id=None, ticket_ids=(), **kwargs):
    """Sent on commit by metrics: queue the "how was this service" invitations."""
    from .tasks import invite_after_tickets

    if tenant_id is not None and ticket_ids:
        invite_after_tickets.delay(tenant_id, list(ticket_ids))


ticket_resolved.connect(_on_tickets_resolved, dispatch_uid="surveys-ticket-resolved")
