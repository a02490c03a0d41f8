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
