"""Choice sets of metric definitions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricKind(models.TextChoices):
    RESPONSE_TIME = "response_time", _("response time")
    RESOLUTION_TIME = "resolution_time", _("resolution time")
    ON_TIME_DELIVERY_RATE = "on_time_delivery_rate", _("on-time delivery rate")
    ACCURACY = "accuracy", _("accuracy")
    FIRST_CONTACT_RESOLUTION_RATE = (
        "first_contact_resolution_rate",
        _("first-contact resolution rate"),
    )
    RECURRENCE_COUNT = "recurrence_count", _("recurrence count")
    AVAILABILITY_PERCENT = "availability_percent", _("availability (%)")
    DOWNTIME_MINUTES = "downtime_minutes", _("downtime (minutes)")
    SATISFACTION_SCORE = "satisfaction_score", _("satisfaction score")
    CUSTOM_SAMPLE = "custom_sample", _("custom (samples)")


class Direction(models.TextChoices):
    LOWER_IS_BETTER = "lower_is_better", _("lower is better")
    HIGHER_IS_BETTER = "higher_is_better", _("higher is better")


class MeasurementPeriod(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")


# Per ticket, judged against a time threshold; these have an attainment goal.
TIME_KINDS = frozenset({MetricKind.RESPONSE_TIME, MetricKind.RESOLUTION_TIME})
# Measured from tickets, so they must say which priority tiers they cover.
TICKET_KINDS = frozenset(
    {
        MetricKind.RESPONSE_TIME,
        MetricKind.RESOLUTION_TIME,
        MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
        MetricKind.RECURRENCE_COUNT,
    }
)
# Values are percentages (0-100).
PERCENT_KINDS = frozenset(
    {
        MetricKind.ON_TIME_DELIVERY_RATE,
        MetricKind.ACCURACY,
        MetricKind.FIRST_CONTACT_RESOLUTION_RATE,
        MetricKind.AVAILABILITY_PERCENT,
    }
)
LOWER_IS_BETTER_KINDS = frozenset(
    {
        MetricKind.RESPONSE_TIME,
        MetricKind.RESOLUTION_TIME,
        MetricKind.RECURRENCE_COUNT,
        MetricKind.DOWNTIME_MINUTES,
    }
)
DEFAULT_UNITS = {
    MetricKind.RESPONSE_TIME: "min",
    MetricKind.RESOLUTION_TIME: "min",
    MetricKind.ON_TIME_DELIVERY_RATE: "%",
    MetricKind.ACCURACY: "%",
    MetricKind.FIRST_CONTACT_RESOLUTION_RATE: "%",
    MetricKind.RECURRENCE_COUNT: "count",
    MetricKind.AVAILABILITY_PERCENT: "%",
    MetricKind.DOWNTIME_MINUTES: "min",
    MetricKind.SATISFACTION_SCORE: "score",
    MetricKind.CUSTOM_SAMPLE: "",
}
SATISFACTION_SCALE = (1, 5)


def default_direction(kind: str) -> str:
    return (
        Direction.LOWER_IS_BETTER if kind in LOWER_IS_BETTER_KINDS else Direction.HIGHER_IS_BETTER
    )
