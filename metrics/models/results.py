"""Compliance per metric and period, service credits and improvement actions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.choices import Currency, MeasurementPeriod
from slaweb.tenancy.models import TenantOwned

from ..choices import ActionStatus, Status


class ComplianceResult(TenantOwned):
    """One row per (agreement family, metric name, period). A metric is matched across
    versions by its name; `metric` and `agreement` are the version in force in the period."""

    family = models.UUIDField(editable=False)
    metric_name = models.CharField(_("metric"), max_length=200)
    metric = models.ForeignKey(
        "agreements.MetricDefinition",
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name=_("metric"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name=_("agreement version in force"),
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=MeasurementPeriod.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    count_all = models.PositiveIntegerField(_("records"), default=0)
    count_within_target = models.PositiveIntegerField(_("within target"), default=0)
    count_within_minimum = models.PositiveIntegerField(_("within minimum"), default=0)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True, blank=True)
    compliance_rate = models.DecimalField(
        _("compliance rate (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NO_DATA
    )
    exclusions = models.JSONField(_("exclusions applied"), default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    is_open = models.BooleanField(_("period still running"), default=False)
    stale = models.BooleanField(default=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    audit_ignore = ("stale", "claimed_at", "computed_at", "details")

    class Meta:
        ordering = ["family", "metric_name", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "metric_name", "period_kind", "period_start"],
                name="complianceresult_unique_period",
            )
        ]
        indexes = [
            models.Index(
                fields=["stale", "claimed_at"], name="result_stale_idx", condition=Q(stale=True)
            ),
            models.Index(fields=["tenant", "agreement", "period_start"], name="result_agr_idx"),
        ]
        verbose_name = _("compliance result")
        verbose_name_plural = _("compliance results")

    def __str__(self) -> str:
        return f"{self.metric_name} {self.period_start}: {self.status}"


class CreditResult(TenantOwned):
    """Service credit owed for one agreement family and month."""

    family = models.UUIDField(editable=False)
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.CASCADE, related_name="credits"
    )
    period_start = models.DateField(_("month"))
    breached_metrics = models.PositiveSmallIntegerField(_("breached metrics"), default=0)
    percent = models.DecimalField(_("credit (%)"), max_digits=7, decimal_places=4, default=0)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    cap_applied = models.BooleanField(_("cap applied"), default=False)
    how = models.JSONField(_("how it was computed"), default=dict, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    audit_ignore = ("computed_at",)

    class Meta:
        ordering = ["family", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "period_start"], name="creditresult_unique_period"
            )
        ]
        verbose_name = _("service credit")
        verbose_name_plural = _("service credits")

    def __str__(self) -> str:
        return f"{self.period_start}: {self.amount} {self.currency}"


class ImprovementAction(TenantOwned):
    """Created once when a metric misses N periods in a row (streak_start identifies the streak)."""

    family = models.UUIDField(editable=False)
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.CASCADE, related_name="improvement_actions"
    )
    metric = models.ForeignKey(
        "agreements.MetricDefinition", on_delete=models.CASCADE, related_name="improvement_actions"
    )
    metric_name = models.CharField(_("metric"), max_length=200)
    streak_start = models.DateField(_("first missed period"))
    triggered_by = models.JSONField(_("periods that triggered it"), default=list)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    due_date = models.DateField(_("improvement plan due"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    notes = models.TextField(_("notes"), blank=True)
    verification = models.TextField(_("verification of the effect"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_ignore = ("updated_at",)
    STILL_OPEN = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)

    @classmethod
    def overdue_on(cls, day) -> Q:
        """Not finished, and its plan was due before `day`."""
        return Q(status__in=cls.STILL_OPEN, due_date__lt=day)

    def is_overdue_on(self, day) -> bool:
        return self.status in self.STILL_OPEN and self.due_date < day

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "metric_name", "streak_start"],
                name="improvementaction_unique_streak",
            )
        ]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")

    def __str__(self) -> str:
        return f"{self.metric_name} ({self.streak_start})"
