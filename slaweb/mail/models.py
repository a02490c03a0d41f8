from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.models import TenantOwned

from .choices import Status, SuppressionReason


class MessageFields(models.Model):
    """What a mail is and how far its delivery got; shared by tenant and platform mail."""

    kind = models.CharField(_("kind"), max_length=50)
    to_address = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    key = models.CharField(max_length=200)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    from_name = models.CharField(max_length=100, blank=True)
    reply_to = models.EmailField(blank=True)
    # The body holds a secret link (invitation, password reset): blanked once sent.
    erase_body_after_send = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"


class OutboxMessage(TenantOwned, MessageFields):
    """A mail of one tenant. `key` makes enqueueing idempotent."""

    # The outbox is its own log, and bodies may hold secret links: not in the audit trail.
    audited = False

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="outbox_unique_key"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="outbox_status_idx"),
        ]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")


class OutboxAttachment(TenantOwned):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()

    audited = False

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class PlatformMessage(MessageFields):
    """Account mail that belongs to no tenant (password reset). No tenant, so no RLS:
    only the platform code writes it, and its bodies are erased once sent."""

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="platform_message_unique_key")]
        verbose_name = _("outgoing account email")
        verbose_name_plural = _("outgoing account emails")


class Suppression(TenantOwned):
    """An address this tenant no longer mails (stored lower-case)."""

    address = models.EmailField(_("address"))
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "address"], name="suppression_unique_address")
        ]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)
