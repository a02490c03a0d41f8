"""Choice sets of measurement (metric definitions' choices are in agreements.choices)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutageExclusion(models.TextChoices):
    NONE = "none", _("none")
    PLANNED_MAINTENANCE = "planned_maintenance", _("planned maintenance")
    FORCE_MAJEURE = "force_majeure", _("force majeure")
    CUSTOMER_CAUSED = "customer_caused", _("caused by the customer")


class ClockKind(models.TextChoices):
    RESPONSE = "response", _("response")
    RESOLUTION = "resolution", _("resolution")


class ClockState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    WITHIN_TARGET = "within_target", _("within target")
    WITHIN_MINIMUM = "within_minimum", _("within minimum")
    MISSED = "missed", _("missed")


RUNNING_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class Status(models.TextChoices):
    MET = "met", _("met")
    WARNING = "warning", _("warning")
    BREACHED = "breached", _("breached")
    NO_DATA = "no_data", _("no data")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    VERIFIED = "verified", _("verified")


class Source(models.TextChoices):
    API = "api", _("API")
    CSV = "csv", _("CSV upload")
    WEBHOOK = "webhook", _("webhook")
    SURVEY = "survey", _("survey")
    DEMO = "demo", _("demo data")
