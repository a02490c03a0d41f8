"""Per-ticket SLA clocks: one row per ticket and time metric covering it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.models import Tenant, TenantOwned

from ..choices import RUNNING_STATES, ClockKind, ClockState
from .records import Ticket


class TicketClock(TenantOwned):
    """Computed when its ticket is written; frozen once stopped (see docs/decisions/008).

    `counts_at` = the earlier of the stop and the minimum due time: the instant that puts
    the clock into a period (a running clock past its minimum due time counts as missed in
    the period of that due time; otherwise it waits for its stop).
    """

    # Each clock row is written by bulk ingestion, so every key costs a check per row at
    # commit. The composite keys (tenant_id, x_id) -> x (tenant_id, id) that
    # slaweb/tenancy/db_security.py adds already prove that the ticket, metric, agreement
    # and calendar exist (and the tenant, through them), so the single-column constraints
    # are off; on_delete stays Django's (CASCADE, SET_NULL run in the collector, never in
    # the database). Indexes kept where a lookup needs one: ticket and metric lookups run
    # with the tenant (RLS, scoped manager) and use clock_unique and clock_period_idx;
    # agreement (a draft's delete) and calendar (SET_NULL) keep their own.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        editable=False,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="clocks",
        db_constraint=False,
        db_index=False,
    )
    metric = models.ForeignKey(
        "agreements.MetricDefinition",
        on_delete=models.CASCADE,
        related_name="clocks",
        db_constraint=False,
        db_index=False,
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.CASCADE,
        related_name="clocks",
        help_text="The version whose terms computed this clock.",
        db_constraint=False,
    )
    family = models.UUIDField(editable=False)
    kind = models.CharField(_("clock"), max_length=12, choices=ClockKind.choices)
    calendar = models.ForeignKey(
        "agreements.BusinessCalendar",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    calendar_hash = models.CharField(max_length=64)
    started_at = models.DateTimeField(_("started at"))
    due_target_at = models.DateTimeField(_("due (target)"))
    due_minimum_at = models.DateTimeField(_("due (minimum acceptable)"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    elapsed = models.DurationField(_("working time elapsed"), null=True, blank=True)
    paused = models.DurationField(_("working time paused"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=ClockState.choices)
    counts_at = models.DateTimeField()
    period_start = models.DateField(_("period"))
    computed_at = models.DateTimeField(auto_now=True)

    audit_ignore = ("computed_at",)

    class Meta:
        ordering = ["due_target_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ticket", "metric"], name="clock_unique"),
        ]
        indexes = [
            # The warnings query: running clocks due before now + window, one index scan.
            models.Index(
                fields=["due_minimum_at"],
                name="clock_running_due_min_idx",
                condition=Q(state__in=RUNNING_STATES),
            ),
            models.Index(
                fields=["due_target_at"],
                name="clock_running_due_target_idx",
                condition=Q(state__in=RUNNING_STATES),
            ),
            models.Index(fields=["tenant", "metric", "period_start"], name="clock_period_idx"),
            models.Index(fields=["tenant", "family", "period_start"], name="clock_family_idx"),
        ]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.metric_id} {self.state}"

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES


class ClockWarning(TenantOwned):
    """A warning about a running clock, claimed once per clock and threshold (percent; 100 = breach)."""

    clock = models.ForeignKey(TicketClock, on_delete=models.CASCADE, related_name="warnings")
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "clock", "threshold"], name="clockwarning_unique"
            )
        ]
        verbose_name = _("clock warning")
        verbose_name_plural = _("clock warnings")

    def __str__(self) -> str:
        return f"{self.clock_id} {self.threshold}%"
