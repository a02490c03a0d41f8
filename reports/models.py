"""Published period reports: frozen snapshots, their files and the links sent to recipients.

A report is published per agreement family and period; republishing adds a revision and
never touches the earlier ones. The snapshot holds the data the report shows (numbers,
names, ids, no translated text), so HTML, PDF and spreadsheet all render from it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.choices import MeasurementPeriod, Side
from slaweb.tenancy.models import TenantOwned

from .choices import FileFormat, FileState, Health


class Report(TenantOwned):
    family = models.UUIDField(editable=False)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("agreement version in force"),
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=MeasurementPeriod.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    health = models.CharField(_("health"), max_length=5, choices=Health.choices)
    snapshot = models.JSONField(_("snapshot"), editable=False)
    reason = models.TextField(_("reason for this revision"), blank=True)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    # The row itself keeps the snapshot forever (it never changes): no copy in the audit trail.
    audit_secret_fields = ("snapshot",)

    class Meta:
        ordering = ["-period_start", "family", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "period_kind", "period_start", "revision"],
                name="report_unique_revision",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "period_kind", "period_start"], name="report_period_idx")
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.family} {self.period_start} r{self.revision}"


class ReportFile(TenantOwned):
    """A rendered PDF, workbook or CSV of one report revision in one language, built by a task."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(_("format"), max_length=4, choices=FileFormat.choices)
    language = models.CharField(_("language"), max_length=10)
    state = models.CharField(
        _("state"), max_length=8, choices=FileState.choices, default=FileState.PENDING
    )
    content = models.BinaryField(editable=False, default=bytes)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)

    audit_secret_fields = ("content",)  # the file's bytes stay out of the audit trail

    class Meta:
        ordering = ["report", "format", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "report", "format", "language"], name="reportfile_unique"
            )
        ]
        verbose_name = _("report file")
        verbose_name_plural = _("report files")

    def __str__(self) -> str:
        return f"{self.report} {self.format} {self.language}"


class ReportDelivery(TenantOwned):
    """A report revision sent to one recipient; the expiring link and the acknowledgement."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=10, default="en")
    expires_at = models.DateTimeField(_("link expires"))
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_name = models.CharField(_("acknowledged by"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "side", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "report", "email"], name="reportdelivery_unique_recipient"
            )
        ]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")

    def __str__(self) -> str:
        return f"{self.report} -> {self.email}"
