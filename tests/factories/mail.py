"""Factories of the email outbox. An attachment copies its message's tenant."""

import factory

from slaweb.mail.choices import Status, SuppressionReason
from slaweb.mail.models import OutboxAttachment, OutboxMessage, Suppression

from .base import TenantOwnedFactory

__all__ = ["OutboxAttachmentFactory", "OutboxMessageFactory", "SuppressionFactory"]


class OutboxMessageFactory(TenantOwnedFactory):
    kind = "test"
    to_address = factory.Sequence(lambda n: f"person{n}@example.com")
    language = "en"
    key = factory.Sequence(lambda n: f"factory-{n}")
    subject = "A subject"
    body_text = "A body\n"
    status = Status.SENT

    class Meta:
        model = OutboxMessage


class OutboxAttachmentFactory(TenantOwnedFactory):
    message = factory.SubFactory(OutboxMessageFactory, tenant=factory.SelfAttribute("..tenant"))
    filename = "report.pdf"
    mimetype = "application/pdf"
    content = b"%PDF-1.4"

    class Meta:
        model = OutboxAttachment


class SuppressionFactory(TenantOwnedFactory):
    address = factory.Sequence(lambda n: f"gone{n}@example.com")
    reason = SuppressionReason.BOUNCED

    class Meta:
        model = Suppression
