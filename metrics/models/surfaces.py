"""Rows behind the import pages and the ticket-system webhook (metrics.imports, metrics.webhooks)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.models import TenantOwned

IMPORT_KINDS = [
    ("tickets", _("tickets")),
    ("deliveries", _("deliveries")),
    ("outages", _("outages")),
    ("samples", _("samples")),
]


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportJob(TenantOwned):
    """One uploaded CSV file and its import. The file lives in `content` (the database: it is
    tenant-owned under RLS, reaches every worker and goes with the backups); at most
    metrics.imports.MAX_UPLOAD bytes. `errors` keeps the first MAX_ERRORS rejected rows."""

    kind = models.CharField(_("kind"), max_length=12, choices=IMPORT_KINDS)
    filename = models.CharField(_("file"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=20)
    content = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"))
    columns = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    store_valid = models.BooleanField(_("store the valid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rejected rows"), default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    audit_secret_fields = ("content", "errors")  # the file and its rows stay out of the audit
    audit_ignore = ("columns", "processed")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.kind})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        return int(self.processed * 100 / self.total) if self.total else 0


class ImportMapping(TenantOwned):
    """The column mapping last used for a kind ({field: csv column}), offered next time."""

    kind = models.CharField(max_length=12, choices=IMPORT_KINDS)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="importmapping_unique_kind")
        ]

    def __str__(self) -> str:
        return self.kind


class WebhookSecret(TenantOwned):
    """A signing secret of the ticket webhook. Stored as written (HMAC needs it; the app role
    reads it only under RLS) and shown once. The current one has no `expires_at`; a rotated
    one stays valid until `expires_at`."""

    secret = models.CharField(max_length=100, editable=False)
    audit_secret_fields = ("secret",)  # never copied into the audit trail
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook secret")
        verbose_name_plural = _("webhook secrets")

    def __str__(self) -> str:
        return f"{self.hint}…"

    @property
    def is_valid(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.now()


class WebhookEvent(TenantOwned):
    """A signed delivery of the webhook: accepted once per event id; a rejected payload is
    logged without its event id being taken (the sender may fix it and send again)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    STATUSES = [(ACCEPTED, _("accepted")), (REJECTED, _("rejected"))]

    event_id = models.CharField(_("event id"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES)
    records = models.PositiveIntegerField(_("records"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    message = models.TextField(_("reason"), blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "event_id"],
                condition=Q(status="accepted"),
                name="webhookevent_unique_accepted",
            )
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_id} {self.status}"


# A batch of 20,000 tickets takes well under a minute; a quarter of an hour without one is a
# worker that stopped.
RECOMPUTE_STUCK_AFTER = dt.timedelta(minutes=15)


class ClockRecompute(TenantOwned):
    """A recompute of the clocks a calendar change or a newly active agreement version
    affects (metrics.services.hooks): queued with the change, run by a worker in batches
    that each commit, so `done` of `total` tickets is the progress users see."""

    Status = ImportStatus
    audited = False  # a progress record; the recompute is audited on its calendar or agreement

    calendar = models.ForeignKey(
        "agreements.BusinessCalendar",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    families = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=200)  # the calendar's name or "<reference> v<n>"
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("tickets"), default=0)
    done = models.PositiveIntegerField(_("recomputed"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the worker's sign of life
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clock recompute")
        verbose_name_plural = _("clock recomputes")

    def __str__(self) -> str:
        return self.subject

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_stalled(self) -> bool:
        """Running, but no batch committed for RECOMPUTE_STUCK_AFTER: its worker stopped."""
        return (
            self.status == ImportStatus.RUNNING
            and timezone.now() - self.updated_at > RECOMPUTE_STUCK_AFTER
        )

    @property
    def can_run_again(self) -> bool:
        return self.status == ImportStatus.FAILED or self.is_stalled
