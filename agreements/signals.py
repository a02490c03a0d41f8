"""Reactions to the outbox's signals: a contact whose address bounced or opted out is
marked, so pages show why they get no mail, and unmarked when an admin lets the address
receive mail again. Receivers run in the tenant's scope and transaction (the outbox sends
the signals there)."""

from __future__ import annotations

from slaweb.mail.choices import SuppressionReason
from slaweb.mail.signals import address_suppressed, address_unsuppressed, message_bounced

from .choices import EmailStatus
from .models import Contact


def mark_contacts(address: str, status: str) -> int:
    """Set the email status of the open tenant's contacts with this address."""
    changed = 0
    for contact in Contact.objects.filter(email__iexact=address).exclude(email_status=status):
        contact.email_status = status
        contact.save()  # one save per contact: the audit trail records each
        changed += 1
    return changed


def on_bounce(sender, address="", **kwargs):
    mark_contacts(address, EmailStatus.BOUNCED)


def on_suppressed(sender, address="", reason="", **kwargs):
    if reason != SuppressionReason.BOUNCED:  # bounces come through on_bounce
        mark_contacts(address, EmailStatus.OPTED_OUT)


def on_unsuppressed(sender, address="", **kwargs):
    mark_contacts(address, EmailStatus.OK)


def connect() -> None:
    message_bounced.connect(on_bounce, dispatch_uid="agreements-contact-bounced")
    address_suppressed.connect(on_suppressed, dispatch_uid="agreements-contact-suppressed")
    address_unsuppressed.connect(on_unsuppressed, dispatch_uid="agreements-contact-unsuppressed")
