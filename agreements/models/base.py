"""Shared pieces of the agreements models: date bounds, tenant checks, timestamps."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.context import current_tenant_id
from slaweb.tenancy.models import TenantOwned

DAY_MINUTES = 1440
WEEK_MINUTES = 7 * DAY_MINUTES
# Agreement dates stay in a sane range, so date arithmetic (next day, periods) never overflows.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)
PERCENT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


def check_same_tenant(instance: TenantOwned, *field_names: str) -> None:
    """Related rows must belong to the instance's tenant (a form cannot smuggle in another's)."""
    tenant_id = instance.tenant_id or current_tenant_id()
    errors = {}
    for name in field_names:
        related = getattr(instance, name, None)
        if related is not None and tenant_id is not None and related.tenant_id != tenant_id:
            errors[name] = _("This object does not exist.")
    if errors:
        raise ValidationError(errors)


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    audit_ignore = ("updated_at",)

    class Meta:
        abstract = True
