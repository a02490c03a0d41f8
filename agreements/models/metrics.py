"""Metric definitions of an agreement (contract terms): what is measured, the target and the
minimum acceptable. Measurement itself (data, clocks, compliance) lives in the metrics app."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import (
    DEFAULT_UNITS,
    PERCENT_KINDS,
    SATISFACTION_SCALE,
    TICKET_KINDS,
    TIME_KINDS,
    ClockStop,
    Direction,
    MeasurementPeriod,
    MetricKind,
    TicketKind,
    default_direction,
)
from .agreement import AgreementPart, PriorityTier
from .base import check_same_tenant


def validate_metric_tiers(kind: str, tiers: Iterable) -> None:
    """A metric measured from tickets must say which priority tiers it covers."""
    if kind in TICKET_KINDS and not list(tiers):
        raise ValidationError(
            {
                "tiers": _(
                    "A %(kind)s metric is measured from tickets: choose at least one priority tier."
                )
                % {"kind": MetricKind(kind).label}
            }
        )


class MetricDefinition(AgreementPart):
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.CASCADE,
        related_name="metrics",
        verbose_name=_("agreement"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=MetricKind.choices)
    direction = models.CharField(
        _("direction"),
        max_length=20,
        choices=Direction.choices,
        blank=True,
        help_text=_("Empty: the kind's usual direction."),
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    minimum_acceptable = models.DecimalField(
        _("minimum acceptable"), max_digits=14, decimal_places=4
    )
    attainment_goal_percent = models.DecimalField(
        _("attainment goal (%)"),
        max_digits=5,
        decimal_places=2,
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Time metrics: the share of tickets that must be within the threshold."),
    )
    tiers = models.ManyToManyField(
        PriorityTier,
        through="MetricTier",
        related_name="metrics",
        blank=True,
        verbose_name=_("priority tiers"),
    )
    data_source = models.TextField(_("data source"), blank=True)
    provider_responsible = models.CharField(
        _("responsible person (provider)"), max_length=200, blank=True
    )
    customer_responsible = models.CharField(
        _("responsible person (customer)"), max_length=200, blank=True
    )
    period = models.CharField(
        _("measurement period"),
        max_length=10,
        choices=MeasurementPeriod.choices,
        default=MeasurementPeriod.MONTH,
    )
    ticket_kinds = ArrayField(
        models.CharField(max_length=20, choices=TicketKind.choices),
        verbose_name=_("ticket kinds"),
        default=list,
        blank=True,
        help_text=_(
            "Metrics over tickets: the kinds of ticket counted (empty: every kind). "
            "Complaint handling timeliness is a response-time metric over complaints."
        ),
    )
    ticket_categories = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("ticket categories"),
        default=list,
        blank=True,
        help_text=_("Metrics over tickets: the categories counted (empty: every category)."),
    )
    clock_stop = models.CharField(
        _("resolution clock stops at"),
        max_length=12,
        choices=ClockStop.choices,
        default=ClockStop.RESOLVED,
        help_text=_("Resolution time: whether a workaround meets the target."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["agreement_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agreement", "name"], name="metricdefinition_unique_name"
            )
        ]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")

    def __str__(self) -> str:
        return self.name

    @property
    def ticket_kind_labels(self) -> list[str]:
        return [str(TicketKind(kind).label) for kind in self.ticket_kinds or []]

    @property
    def lower_is_better(self) -> bool:
        return (self.direction or default_direction(self.kind)) == Direction.LOWER_IS_BETTER

    @property
    def is_time_metric(self) -> bool:
        return self.kind in TIME_KINDS

    def apply_defaults(self) -> None:
        if not self.direction and self.kind:
            self.direction = default_direction(self.kind)
        if not self.unit and self.kind:
            self.unit = DEFAULT_UNITS.get(self.kind, "")

    def clean(self) -> None:
        super().clean()
        self.apply_defaults()
        errors = {}
        target, minimum = self.target, self.minimum_acceptable
        if target is not None and minimum is not None and self.kind:
            errors.update(self._value_range_errors(Decimal(target), Decimal(minimum)))
            if not errors:
                if self.lower_is_better and target > minimum:
                    errors["target"] = _(
                        "Lower is better for this metric: the target (%(target)s) must be at most the minimum acceptable value (%(minimum)s)."
                    ) % {"target": _num(target), "minimum": _num(minimum)}
                elif not self.lower_is_better and target < minimum:
                    errors["target"] = _(
                        "Higher is better for this metric: the target (%(target)s) must be at least the minimum acceptable value (%(minimum)s)."
                    ) % {"target": _num(target), "minimum": _num(minimum)}
        if self.attainment_goal_percent is not None and not 0 < self.attainment_goal_percent <= 100:
            errors["attainment_goal_percent"] = _(
                "The attainment goal must be more than 0 and at most 100 %."
            )
        errors.update(self._ticket_filter_errors())
        if errors:
            raise ValidationError(errors)

    def _ticket_filter_errors(self) -> dict:
        errors = {}
        if self.kind and self.kind not in TICKET_KINDS:
            if self.ticket_kinds:
                errors["ticket_kinds"] = _("Only a metric measured from tickets has ticket kinds.")
            if self.ticket_categories:
                errors["ticket_categories"] = _(
                    "Only a metric measured from tickets has ticket categories."
                )
        if (
            self.kind
            and self.kind != MetricKind.RESOLUTION_TIME
            and self.clock_stop == ClockStop.WORKAROUND
        ):
            errors["clock_stop"] = _("Only a resolution-time metric can be met by a workaround.")
        if len(set(self.ticket_kinds or [])) != len(self.ticket_kinds or []):
            errors["ticket_kinds"] = _("Each ticket kind may be chosen once.")
        categories = [c.strip() for c in self.ticket_categories or []]
        if any(not c for c in categories):
            errors["ticket_categories"] = _("A ticket category cannot be empty.")
        self.ticket_categories = categories
        return errors

    def covers_ticket(self, kind: str, category: str) -> bool:
        """Whether a ticket of this kind and category counts for this metric (tiers aside)."""
        return (not self.ticket_kinds or kind in self.ticket_kinds) and (
            not self.ticket_categories or category in self.ticket_categories
        )

    def _value_range_errors(self, target: Decimal, minimum: Decimal) -> dict:
        if self.kind in PERCENT_KINDS:
            low, high, message = 0, 100, _("A percentage must be between 0 and 100.")
        elif self.kind == MetricKind.SATISFACTION_SCORE:
            low, high = SATISFACTION_SCALE
            message = _("A satisfaction score must be between %(low)s and %(high)s.") % {
                "low": low,
                "high": high,
            }
        elif self.kind in TIME_KINDS:
            errors = {}
            for name, value in (("target", target), ("minimum_acceptable", minimum)):
                if value <= 0:
                    errors[name] = _("A time threshold must be more than 0 minutes.")
            return errors
        elif self.kind == MetricKind.CUSTOM_SAMPLE:
            return {}
        else:
            low, high, message = 0, None, _("This value cannot be negative.")
        return {
            name: message
            for name, value in (("target", target), ("minimum_acceptable", minimum))
            if value < low or (high is not None and value > high)
        }

    def check_tiers(self) -> None:
        """Validate the saved tiers (the M2M cannot be checked before the row exists)."""
        validate_metric_tiers(self.kind, self.tiers.all())

    def save(self, *args, **kwargs):
        self.apply_defaults()
        super().save(*args, **kwargs)


def _num(value) -> str:
    """4.5000 -> 4.5 in messages."""
    text = format(Decimal(value).normalize(), "f")
    return text


class MetricTier(AgreementPart):
    """A metric applies to a priority tier (explicit table so it carries the tenant)."""

    metric = models.ForeignKey(
        MetricDefinition, on_delete=models.CASCADE, related_name="tier_links"
    )
    tier = models.ForeignKey(PriorityTier, on_delete=models.CASCADE, related_name="metric_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "metric", "tier"], name="metrictier_unique")
        ]
        verbose_name = _("priority tier of a metric")
        verbose_name_plural = _("priority tiers of metrics")

    def __str__(self) -> str:
        return f"{self.metric_id}: {self.tier_id}"

    @property
    def agreement_id(self) -> int | None:
        return self.metric.agreement_id if self.metric_id else None

    def clean(self) -> None:
        check_same_tenant(self, "metric", "tier")
        if self.metric_id and self.tier_id and self.tier.agreement_id != self.metric.agreement_id:
            raise ValidationError(
                {"tier": _("The priority tier must belong to the metric's agreement.")}
            )
        super().clean()
