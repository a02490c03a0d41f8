"""Choices of the reports domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Health(models.TextChoices):
    """An agreement's health in a period: the worst status of its metrics."""

    GREEN = "green", _("green: every metric met")
    AMBER = "amber", _("amber: a target missed")
    RED = "red", _("red: a minimum missed")
    NONE = "none", _("no data")


class FileFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", _("spreadsheet (XLSX)")
    CSV = "csv", _("indicator table (CSV)")


class FileState(models.TextChoices):
    PENDING = "pending", _("being built")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
