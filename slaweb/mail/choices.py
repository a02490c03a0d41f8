from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SUPPRESSED = "suppressed", _("suppressed")


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", _("bounced")
    OPTED_OUT = "opted_out", _("opted out")
    COMPLAINED = "complained", _("complained")
