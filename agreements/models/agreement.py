"""Agreements (one row per version) and their parts: services, tiers, exclusions, recipients, approvals."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy import audit
from slaweb.tenancy.models import TenantOwned

from ..choices import (
    AgreementKind,
    AgreementStatus,
    Currency,
    ExclusionKind,
    ReportPeriods,
    Side,
    TierCode,
)
from .base import EARLIEST_DATE, LATEST_DATE, PERCENT_VALIDATORS, TimeStamped, check_same_tenant
from .calendars import BusinessCalendar
from .catalog import Contact, Customer, Service


def validate_credit_tiers(value) -> None:
    """Tiered credits: [{"breached_metrics": 1, "percent": 5}, {"breached_metrics": 3, "percent": 10}]
    - from that many breached metrics in a period on, the credit is that share of the fee."""
    if value in (None, []):
        return
    if not isinstance(value, list):
        raise ValidationError(
            _("Tiered credits must be a list of {breached_metrics, percent} items.")
        )
    previous = 0
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) != {"breached_metrics", "percent"}:
            raise ValidationError(
                _("Tiered credit %(n)s must have exactly the keys breached_metrics and percent.")
                % {"n": index}
            )
        count, percent = item["breached_metrics"], item["percent"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValidationError(
                _("Tiered credit %(n)s: breached_metrics must be a whole number from 1.")
                % {"n": index}
            )
        if (
            isinstance(percent, bool)
            or not isinstance(percent, int | float)
            or not 0 <= percent <= 100
        ):
            raise ValidationError(
                _("Tiered credit %(n)s: percent must be between 0 and 100.") % {"n": index}
            )
        if count <= previous:
            raise ValidationError(
                _("Tiered credits must be in increasing order of breached_metrics.")
            )
        previous = count


class Agreement(TimeStamped, TenantOwned):
    """One version of an agreement. Versions of the same agreement share `family`."""

    # Fields the workflow may change after the draft stage; everything else is frozen, also in
    # the database (trigger of migration 0004_frozen_agreements, WORKFLOW_COLUMNS: keep both equal).
    WORKFLOW_FIELDS = frozenset(
        {
            "status",
            "effective_to",
            "snapshot",
            "submitted_at",
            "activated_at",
            "ended_at",
            "end_reason",
            "lock_version",
            "updated_at",
        }
    )

    audit_ignore = ("updated_at", "snapshot")  # the snapshot is derived; keep audit rows small

    title = models.CharField(_("title"), max_length=200)
    reference = models.CharField(
        _("reference"),
        max_length=50,
        help_text=_("Your code for this agreement, e.g. SLA-2026-001; shared by its versions."),
    )
    kind = models.CharField(
        _("kind"), max_length=5, choices=AgreementKind.choices, default=AgreementKind.SLA
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("customer")
    )
    customer_contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("customer's responsible contact"),
    )
    provider_team = models.CharField(_("provider team"), max_length=200, blank=True)
    provider_contact_name = models.CharField(
        _("provider's responsible person"), max_length=200, blank=True
    )
    provider_contact_email = models.EmailField(_("provider's responsible email"), blank=True)
    services = models.ManyToManyField(
        Service,
        through="AgreementService",
        related_name="agreements",
        blank=True,
        verbose_name=_("services"),
    )
    scope_included = models.TextField(_("scope: included"), blank=True)
    scope_excluded = models.TextField(_("scope: not included"), blank=True)
    provider_responsibilities = models.TextField(_("provider's responsibilities"), blank=True)
    customer_responsibilities = models.TextField(_("customer's responsibilities"), blank=True)
    default_calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("service window"),
    )

    # Lifecycle and versions
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AgreementStatus.choices,
        default=AgreementStatus.DRAFT,
        editable=False,
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(
        _("effective to"),
        null=True,
        blank=True,
        help_text=_("Last day in force; empty = open-ended."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    family = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    lock_version = models.PositiveIntegerField(default=1, editable=False)
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, editable=False)
    end_reason = models.TextField(_("reason for ending"), blank=True, editable=False)
    sent_back_reason = models.TextField(_("reason sent back to draft"), blank=True, editable=False)

    # Commercial terms
    monthly_fee = models.DecimalField(
        _("monthly fee"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    credit_percent = models.DecimalField(
        _("service credit per breached metric (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=PERCENT_VALIDATORS,
    )
    credit_tiers = models.JSONField(
        _("tiered credits"),
        default=list,
        blank=True,
        validators=[validate_credit_tiers],
        help_text=_(
            'Optional: [{"breached_metrics": 3, "percent": 10}] - from that many breached metrics on, that credit.'
        ),
    )
    credit_cap_percent = models.DecimalField(
        _("credit cap per period (%)"),
        max_digits=5,
        decimal_places=2,
        default=20,
        validators=PERCENT_VALIDATORS,
    )

    # Escalation, exclusions, reporting
    escalation_consecutive_breaches = models.PositiveSmallIntegerField(
        _("breaches in a row that require an improvement plan"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    escalation_plan_due_days = models.PositiveSmallIntegerField(
        _("improvement plan due within (days)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    escalation_counts_warnings = models.BooleanField(
        _("warnings count towards escalation"),
        default=False,
        help_text=_("Count periods with a missed target (warning), not only breaches."),
    )
    maintenance_notice_hours = models.PositiveSmallIntegerField(
        _("planned maintenance notice (hours)"), default=24, validators=[MaxValueValidator(24 * 90)]
    )
    report_day_of_month = models.PositiveSmallIntegerField(
        _("monthly report due on day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    report_periods = models.CharField(
        _("reports published and sent"),
        max_length=8,
        choices=ReportPeriods.choices,
        default=ReportPeriods.MONTH,
        help_text=_(
            "A quarter's or a year's report is due on the same day of the month after it ends."
        ),
    )

    class Meta:
        ordering = ["reference", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference", "version"], name="agreement_unique_reference_version"
            ),
            models.UniqueConstraint(
                fields=["tenant", "family", "version"], name="agreement_unique_family_version"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="agreement_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(
                    credit_percent__gte=0,
                    credit_percent__lte=100,
                    credit_cap_percent__gte=0,
                    credit_cap_percent__lte=100,
                ),
                name="agreement_credit_percent_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="agreement_status_idx")]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return f"{self.reference} v{self.version} {self.title}"

    # -- state -------------------------------------------------------------

    @property
    def stored_status(self) -> str:
        """The status as loaded from the database (the in-memory one may be mid-transition)."""
        return getattr(self, "_loaded_values", {}).get("status", self.status)

    @property
    def is_editable(self) -> bool:
        return self.stored_status == AgreementStatus.DRAFT

    def ensure_editable(self) -> None:
        if not self.is_editable:
            raise ValidationError(
                _(
                    "Agreement %(ref)s v%(version)s is %(status)s and cannot be edited; only a draft can. "
                    "Create a new version to change it."
                )
                % {
                    "ref": self.reference,
                    "version": self.version,
                    "status": AgreementStatus(self.stored_status).label,
                },
                code="not_draft",
            )

    @classmethod
    def ensure_editable_by_id(cls, agreement_id: int | None) -> None:
        """For parts of an agreement: read the agreement's stored status, not a cached one."""
        if agreement_id is None:
            return
        agreement = (
            cls.objects.filter(pk=agreement_id).only("status", "reference", "version").first()
        )
        if agreement is not None:
            agreement.ensure_editable()

    # -- validation --------------------------------------------------------

    def clean(self) -> None:
        super().clean()
        if self.pk is not None:
            self.ensure_editable()
        check_same_tenant(self, "customer", "customer_contact", "default_calendar")
        errors = {}
        for name in ("effective_from", "effective_to"):
            value = getattr(self, name)
            if value and not EARLIEST_DATE <= value <= LATEST_DATE:
                errors[name] = _("Choose a date between %(first)s and %(last)s.") % {
                    "first": EARLIEST_DATE.isoformat(),
                    "last": LATEST_DATE.isoformat(),
                }
        if errors:
            raise ValidationError(errors)
        # effective_to is the last day in force: a one-day agreement ends the day it starts
        # (the check constraint agreement_dates_in_order says the same).
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("The end date cannot be before the start date.")
        if (
            self.customer_contact_id
            and self.customer_id
            and self.customer_contact.customer_id != self.customer_id
        ):
            errors["customer_contact"] = _("The contact must belong to the agreement's customer.")
        if self.reference:
            taken = Agreement.objects.filter(reference=self.reference).exclude(family=self.family)
            if self.tenant_id:
                taken = taken.filter(tenant_id=self.tenant_id)
            if taken.exists():
                errors["reference"] = _("Another agreement already uses the reference %(ref)s.") % {
                    "ref": self.reference
                }
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.pk is not None and not self.is_editable:
            frozen = set(audit.diff(self)) - {
                self._meta.get_field(name).attname for name in self.WORKFLOW_FIELDS
            }
            if frozen:
                self.ensure_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.stored_status != AgreementStatus.DRAFT:
            raise ValidationError(_("Only a draft agreement can be deleted."), code="not_draft")
        return super().delete(*args, **kwargs)


class AgreementPart(TenantOwned):
    """A part of an agreement (tier, exclusion, recipient, service link): frozen with it."""

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "agreement")
        Agreement.ensure_editable_by_id(self.agreement_id)

    def save(self, *args, **kwargs):
        Agreement.ensure_editable_by_id(self.agreement_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        Agreement.ensure_editable_by_id(self.agreement_id)
        return super().delete(*args, **kwargs)


class AgreementService(AgreementPart):
    """The services of an agreement (an explicit table so it carries the tenant)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="service_links")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="agreement_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agreement", "service"], name="agreementservice_unique"
            )
        ]
        verbose_name = _("service of an agreement")
        verbose_name_plural = _("services of agreements")

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.service_id}"


class PriorityTier(AgreementPart):
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("agreement")
    )
    code = models.CharField(_("code"), max_length=2, choices=TierCode.choices)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("meaning"), blank=True)
    response_minutes = models.PositiveIntegerField(
        _("response within (minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), validators=[MinValueValidator(1)]
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tiers",
        verbose_name=_("service window"),
        help_text=_("Empty: the agreement's service window."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["agreement_id", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agreement", "code"], name="prioritytier_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(
                    response_minutes__gt=0, resolution_minutes__gte=models.F("response_minutes")
                ),
                name="prioritytier_minutes_in_order",
            ),
        ]
        verbose_name = _("priority tier")
        verbose_name_plural = _("priority tiers")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "calendar")
        errors = {}
        if self.response_minutes is not None and self.response_minutes <= 0:
            errors["response_minutes"] = _("The response time must be more than 0 minutes.")
        if self.resolution_minutes is not None and self.resolution_minutes <= 0:
            errors["resolution_minutes"] = _("The resolution time must be more than 0 minutes.")
        if (
            not errors
            and self.response_minutes is not None
            and self.resolution_minutes is not None
            and self.response_minutes > self.resolution_minutes
        ):
            errors["resolution_minutes"] = _(
                "The resolution time cannot be shorter than the response time."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def effective_calendar(self) -> BusinessCalendar | None:
        return self.calendar or self.agreement.default_calendar


class ExclusionRule(AgreementPart):
    """Events that do not count against the provider (planned maintenance, force majeure...)."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("agreement")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ExclusionKind.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["agreement_id", "kind", "id"]
        verbose_name = _("exclusion rule")
        verbose_name_plural = _("exclusion rules")

    def __str__(self) -> str:
        return self.get_kind_display()


class ReportRecipient(AgreementPart):
    """Who receives the agreement's reports, on either side: a contact, or a name and email."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("agreement")
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_subscriptions",
        verbose_name=_("contact"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        ordering = ["agreement_id", "side", "id"]
        verbose_name = _("report recipient")
        verbose_name_plural = _("report recipients")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.contact_id:
            return str(self.contact)
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def address(self) -> str:
        return self.contact.email if self.contact_id else self.email

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "contact")
        if not self.contact_id and not self.email:
            raise ValidationError({"email": _("Choose a contact or enter an email address.")})


class AgreementApproval(TenantOwned):
    """One side's approval of an agreement version (who, when, how).

    The provider side is approved in the app by a member. The customer side is approved by
    the customer's named contact through an emailed link (method "link"), or recorded by a
    member on that contact's behalf with the evidence noted (method "on_behalf"). One user
    never accounts for both sides (services.approve)."""

    class Method(models.TextChoices):
        IN_APP = "in_app", _("approved in the app")
        LINK = "link", _("approved through the emailed link")
        ON_BEHALF = "on_behalf", _("recorded on behalf of the contact")

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("agreement")
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    name = models.CharField(_("name of the approver"), max_length=200)
    at = models.DateTimeField(_("approved at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    method = models.CharField(
        _("how"), max_length=10, choices=Method.choices, default=Method.IN_APP
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals",
        verbose_name=_("customer contact"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    evidence = models.TextField(_("evidence"), blank=True)

    class Meta:
        ordering = ["agreement_id", "side"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agreement", "side"], name="agreementapproval_unique_side"
            )
        ]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")

    def __str__(self) -> str:
        return f"{self.get_side_display()}: {self.name}"

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "agreement", "contact")
        if self.method == self.Method.ON_BEHALF and not (self.evidence or "").strip():
            raise ValidationError({"evidence": _("Note the evidence of the contact's approval.")})
