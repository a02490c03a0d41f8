"""Choices of the surveys domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LIKERT_POINTS = (1, 2, 3, 4, 5)
NPS_POINTS = tuple(range(11))


class QuestionKind(models.TextChoices):
    LIKERT = "likert", _("rating 1-5")
    OPEN = "open", _("open answer")
    NPS = "nps", _("would recommend 0-10")


class Scope(models.TextChoices):
    AGREEMENT = "agreement", _("agreement")
    CUSTOMER = "customer", _("customer")


class Trigger(models.TextChoices):
    MONTHLY = "monthly", _("monthly, about the previous month")
    QUARTERLY = "quarterly", _("quarterly, about the previous quarter")
    ONCE = "once", _("once, now")
    TICKET = "ticket", _("after a ticket is resolved")


class InvitationStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    BOUNCED = "bounced", _("bounced")
    ANSWERED = "answered", _("answered")
    SKIPPED = "skipped", _("skipped")


class SkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("opted out")
    BOUNCED = "bounced", _("address bounced")
    FATIGUE = "fatigue", _("invited recently (fatigue rule)")
    ARCHIVED = "archived", _("contact archived")


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    PHONE = "phone", _("phone")
    INTERVIEW = "interview", _("interview")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("follow-up", "open")
    CLOSED = "closed", pgettext_lazy("follow-up", "closed")


# The labelled points of the five-point scale, as the seed's questionnaire words them.
LIKERT_LABELS = {
    1: _("very dissatisfied"),
    2: _("dissatisfied"),
    3: _("neutral"),
    4: _("satisfied"),
    5: _("very satisfied"),
}
