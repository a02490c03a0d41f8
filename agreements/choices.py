"""Choice sets of the agreements domain (labels are translated from the .po file)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    INTERNAL = "internal", _("internal department")
    EXTERNAL = "external", _("external client")


class Language(models.TextChoices):
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")


class EmailStatus(models.TextChoices):
    OK = "ok", _("ok")
    BOUNCED = "bounced", _("bounced")
    OPTED_OUT = "opted_out", _("opted out")


class AgreementKind(models.TextChoices):
    SLA = "sla", _("SLA (with a customer)")
    OLA = "ola", _("OLA (between internal teams)")
    UC = "uc", _("UC (underpinning contract with a supplier)")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    ACTIVE = "active", _("active")
    SUPERSEDED = "superseded", _("superseded")
    EXPIRED = "expired", _("expired")
    TERMINATED = "terminated", _("terminated")


class Side(models.TextChoices):
    PROVIDER = "provider", _("provider")
    CUSTOMER = "customer", _("customer")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("euro (EUR)")
    GBP = "GBP", _("pound sterling (GBP)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    JPY = "JPY", _("Japanese yen (JPY)")


class ExclusionKind(models.TextChoices):
    PLANNED_MAINTENANCE = "planned_maintenance", _("planned maintenance")
    FORCE_MAJEURE = "force_majeure", _("force majeure")
    CUSTOMER_CAUSED = "customer_caused", _("caused by the customer")
    THIRD_PARTY = "third_party", _("third-party outage")


class TierCode(models.TextChoices):
    P1 = "P1", _("P1")
    P2 = "P2", _("P2")
    P3 = "P3", _("P3")
    P4 = "P4", _("P4")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


# --------------------------------------------------------------------------
# Metric definitions


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
    YEAR = "year", _("year")


class ReportPeriods(models.TextChoices):
    """Which period reports the dispatcher publishes and sends (each includes the shorter)."""

    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("monthly and quarterly")
    YEAR = "year", _("monthly, quarterly and yearly")

    @classmethod
    def kinds(cls, value: str) -> list[str]:
        """The period kinds of a setting, shortest first."""
        order = [cls.MONTH, cls.QUARTER, cls.YEAR]
        return [str(k) for k in order[: order.index(cls(value)) + 1]]


class TicketKind(models.TextChoices):
    INCIDENT = "incident", _("incident")
    SERVICE_REQUEST = "service_request", _("service request")
    QUESTION = "question", _("question")
    COMPLAINT = "complaint", _("complaint")


class ClockStop(models.TextChoices):
    """Which event stops a resolution clock."""

    RESOLVED = "resolved", _("resolution")
    WORKAROUND = "workaround", _("workaround or resolution, whichever comes first")


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
