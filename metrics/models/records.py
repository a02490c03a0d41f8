"""Measurement data: tickets, deliveries, outages and samples.

Records belong to an agreement's family (the contract across its versions), unique per
tenant by (family, external id); each period is judged by the version in force then.
`content_hash` covers every ingested field, so re-sending a record changes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.choices import TicketKind, TierCode
from slaweb.tenancy.models import TenantOwned

from ..choices import OutageExclusion, Source


class Record(TenantOwned):
    family = models.UUIDField(_("agreement family"), editable=False)
    agreement_reference = models.CharField(_("agreement"), max_length=50)
    external_id = models.CharField(_("external id"), max_length=100)
    content_hash = models.CharField(max_length=64, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_ignore = ("updated_at", "content_hash")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.agreement_reference}/{self.external_id}"


def _order_error(field: str, message) -> ValidationError:
    return ValidationError({field: message})


class Ticket(Record):
    tier_code = models.CharField(_("priority tier"), max_length=2, choices=TierCode.choices)
    kind = models.CharField(
        _("kind"), max_length=20, choices=TicketKind.choices, default=TicketKind.INCIDENT
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    workaround_at = models.DateTimeField(_("workaround at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_contact_resolved = models.BooleanField(_("resolved at first contact"), default=False)
    escalated = models.BooleanField(_("escalated"), default=False)
    recurrence_of = models.CharField(_("recurrence of (external id)"), max_length=100, blank=True)
    # Merged, sorted, clipped to [opened_at, resolved_at]: [[start, end], ...] ISO 8601 UTC;
    # the last end may be null (still waiting on the customer).
    pauses = models.JSONField(_("pauses"), default=list, blank=True)

    class Meta:
        ordering = ["-opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "external_id"], name="ticket_unique_external_id"
            ),
            models.CheckConstraint(
                condition=(Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")))
                & (
                    Q(first_response_at__isnull=True)
                    | Q(first_response_at__gte=models.F("opened_at"))
                )
                & (Q(workaround_at__isnull=True) | Q(workaround_at__gte=models.F("opened_at"))),
                name="ticket_events_after_opening",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "family", "opened_at"], name="ticket_opened_idx"),
            models.Index(fields=["tenant", "family", "resolved_at"], name="ticket_resolved_idx"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def clean(self) -> None:
        super().clean()
        for name in ("first_response_at", "workaround_at", "resolved_at"):
            value = getattr(self, name)
            if value is not None and self.opened_at is not None and value < self.opened_at:
                raise _order_error(name, _("This cannot be before the ticket was opened."))


class Delivery(Record):
    name = models.CharField(_("name"), max_length=200)
    due_at = models.DateTimeField(_("due at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    error_free = models.BooleanField(_("error-free"), null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "external_id"], name="delivery_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["tenant", "family", "due_at"], name="delivery_due_idx")]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")


class Outage(Record):
    service = models.CharField(_("service"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    planned = models.BooleanField(_("planned"), default=False)
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    exclusion = models.CharField(
        _("exclusion"),
        max_length=20,
        choices=OutageExclusion.choices,
        default=OutageExclusion.NONE,
    )
    exclusion_reason = models.TextField(_("reason for the exclusion"), blank=True)

    class Meta:
        ordering = ["-started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "external_id"], name="outage_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="outage_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "family", "started_at"], name="outage_start_idx")]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")

    def clean(self) -> None:
        super().clean()
        if self.ended_at is not None and self.started_at is not None:
            if self.ended_at < self.started_at:
                raise _order_error("ended_at", _("The end cannot be before the start."))


class Sample(Record):
    """A value measured elsewhere, for a metric (by name) and a period or an instant."""

    metric_name = models.CharField(_("metric"), max_length=200)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    weight = models.PositiveIntegerField(
        _("weight (n)"), default=1, help_text=_("How many observations the value averages.")
    )

    class Meta:
        ordering = ["-period_start", "-measured_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "external_id"], name="sample_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=False) | Q(measured_at__isnull=False),
                name="sample_has_period_or_instant",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "family", "metric_name"], name="sample_metric_idx")
        ]
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
