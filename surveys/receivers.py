"""Reactions to other apps' signals (the outbox's bounces)."""

from slaweb.mail.signals import message_bounced

from . import services


def _on_bounce(sender, tenant_id=None, address="", message=None, **kwargs):
    if tenant_id is not None:
        services.mark_bounced(tenant_id, address)


message_bounced.connect(_on_bounce, dispatch_uid="surveys-bounce")
