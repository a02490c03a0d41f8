"""Satisfaction surveys: questionnaires (versioned), campaigns, rounds, invitations,
responses with answers, and follow-ups of low scores.

Rules about one row live here; writes spanning rows live in services.py. Invitations,
responses and answers are kept out of the audit trail (`audited = False`, and they are
written with bulk operations): an audit row with a timestamp next to an invitation's
"answered" change would tie an anonymous answer to a person.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, Contact, Customer, check_same_tenant
from slaweb.tenancy.models import Tenant, TenantOwned

from .choices import (
    Channel,
    FollowUpStatus,
    InvitationStatus,
    QuestionKind,
    Scope,
    SkipReason,
    Trigger,
)

__all__ = [
    "Answer",
    "Campaign",
    "CampaignRecipient",
    "Dimension",
    "FollowUp",
    "Invitation",
    "Question",
    "Questionnaire",
    "Response",
    "Round",
    "SurveyLink",
]


def pick_language(obj, field: str, language: str) -> str:
    """`field_zh` for Chinese, `field_en` otherwise (falling back to the other one)."""
    zh, en = getattr(obj, f"{field}_zh"), getattr(obj, f"{field}_en")
    if (language or "").startswith("zh"):
        return zh or en
    return en or zh


class Questionnaire(TenantOwned):
    """One version of a questionnaire. Versions share `family`; only the unused is edited."""

    family = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    name = models.CharField(_("name"), max_length=200)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "family", "version"], name="questionnaire_unique_version"
            )
        ]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_used(self) -> bool:
        """Used once a round was created with it: from then on it is frozen."""
        return self.rounds.exists()

    def intro(self, language: str) -> str:
        return pick_language(self, "intro", language)

    def overall_question(self):
        return self.questions.filter(is_overall=True, kind=QuestionKind.LIKERT).first()


class Dimension(TenantOwned):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="dimensions"
    )
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "questionnaire", "code"], name="dimension_unique_code"
            )
        ]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self) -> str:
        return self.name_en or self.name_zh

    def name(self, language: str) -> str:
        return pick_language(self, "name", language)


class Question(TenantOwned):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    dimension = models.ForeignKey(
        Dimension,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("dimension"),
    )
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text_en = models.TextField(_("question (English)"))
    text_zh = models.TextField(_("question (Chinese)"))
    is_overall = models.BooleanField(
        _("overall satisfaction"),
        default=False,
        help_text=_("Its mean is the overall satisfaction figure."),
    )
    required = models.BooleanField(_("required"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "questionnaire", "code"], name="question_unique_code"
            ),
            models.UniqueConstraint(
                fields=["tenant", "questionnaire"],
                condition=Q(is_overall=True),
                name="question_one_overall",
            ),
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text_en or self.text_zh

    def text(self, language: str) -> str:
        return pick_language(self, "text", language)

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "questionnaire", "dimension")
        if self.is_overall and self.kind != QuestionKind.LIKERT:
            raise ValidationError(
                {"is_overall": _("Only a rating question can be the overall satisfaction.")}
            )
        if (
            self.dimension_id
            and self.questionnaire_id
            and self.dimension.questionnaire_id != self.questionnaire_id
        ):
            raise ValidationError({"dimension": _("This dimension is of another questionnaire.")})


class Campaign(TenantOwned):
    """Who is asked what, how often, and what happens with the answers."""

    name = models.CharField(_("name"), max_length=200)
    scope = models.CharField(_("about"), max_length=10, choices=Scope.choices)
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_campaigns",
        verbose_name=_("agreement"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_campaigns",
        verbose_name=_("customer"),
    )
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("questionnaire"),
    )
    recipients = models.ManyToManyField(
        Contact,
        through="CampaignRecipient",
        related_name="survey_campaigns",
        blank=True,
        verbose_name=_("recipients"),
    )
    answer_window_days = models.PositiveSmallIntegerField(
        _("answer window (working days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after (working days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    reminder_max = models.PositiveSmallIntegerField(
        _("reminders at most"), default=1, validators=[MaxValueValidator(5)]
    )
    low_score_threshold = models.PositiveSmallIntegerField(
        _("low score threshold"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("A rating at or below this opens a follow-up."),
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_("Answers are not linked to the person unless they agree to be contacted."),
    )
    min_n = models.PositiveSmallIntegerField(
        _("minimum answers to show figures"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Anonymous campaigns withhold figures based on fewer answers."),
    )
    fatigue_days = models.PositiveSmallIntegerField(
        _("fatigue rule (days)"),
        default=25,
        help_text=_("A contact is invited at most once in this many days, across all campaigns."),
    )
    trigger = models.CharField(
        _("schedule"), max_length=10, choices=Trigger.choices, default=Trigger.MONTHLY
    )
    run_day = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    ticket_kinds = models.JSONField(
        _("ticket kinds"),
        default=list,
        blank=True,
        help_text=_("After a ticket is resolved: the kinds that count (empty: all)."),
    )
    ticket_tiers = models.JSONField(
        _("priority tiers"),
        default=list,
        blank=True,
        help_text=_("After a ticket is resolved: the tiers that count, e.g. P1 (empty: all)."),
    )
    sampling_percent = models.PositiveSmallIntegerField(
        _("sampling rate (%)"),
        default=100,
        validators=[MaxValueValidator(100)],
        help_text=_("After a ticket is resolved: the share of tickets that trigger a survey."),
    )
    active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="campaign_unique_name"),
            models.CheckConstraint(
                condition=Q(scope="agreement", agreement__isnull=False)
                | Q(scope="customer", customer__isnull=False),
                name="campaign_scope_target",
            ),
        ]
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "agreement", "customer", "questionnaire")
        if self.scope == Scope.AGREEMENT and not self.agreement_id:
            raise ValidationError({"agreement": _("Choose the agreement this campaign is about.")})
        if self.scope == Scope.CUSTOMER and not self.customer_id:
            raise ValidationError({"customer": _("Choose the customer this campaign is about.")})
        if self.scope == Scope.CUSTOMER:
            self.agreement = None
        if self.scope == Scope.AGREEMENT and self.agreement_id:
            self.customer = self.agreement.customer
        if self.trigger == Trigger.TICKET and self.scope != Scope.AGREEMENT:
            raise ValidationError(
                {"trigger": _("Surveys after resolved tickets belong to an agreement.")}
            )
        if not isinstance(self.ticket_kinds, list) or not isinstance(self.ticket_tiers, list):
            raise ValidationError({"ticket_kinds": _("Give a list.")})

    @property
    def target_customer(self):
        return self.agreement.customer if self.agreement_id else self.customer

    def calendar(self):
        """The engine calendar counting working days: the agreement's, else Mon-Fri 9-18."""
        from metrics.business_time import Calendar

        agreement = self.agreement
        if agreement is not None and agreement.default_calendar_id:
            return agreement.default_calendar.to_engine_calendar()
        tenant = Tenant.objects.get(pk=self.tenant_id)
        return Calendar.business_hours(tenant.time_zone, country=tenant.country or None)


class CampaignRecipient(TenantOwned):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipient_links")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "contact"], name="campaignrecipient_unique"
            )
        ]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self) -> str:
        return str(self.contact_id)

    def clean(self) -> None:
        super().clean()
        check_same_tenant(self, "campaign", "contact")


class Round(TenantOwned):
    """One asking of a campaign about one period."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rounds")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="rounds"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    ticket_ref = models.CharField(
        _("ticket"), max_length=100, blank=True, default="", help_text=_("External id")
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "period_start", "period_end", "ticket_ref"],
                name="round_unique_period",
            )
        ]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.period_start} – {self.period_end}"

    @property
    def is_open(self) -> bool:
        return self.opens_at <= timezone.now() < self.closes_at


class Invitation(TenantOwned):
    """One contact asked in one round (or skipped, with the reason). Its links: SurveyLink."""

    audited = False

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("contact")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.QUEUED,
    )
    skip_reason = models.CharField(
        _("skipped because"), max_length=10, choices=SkipReason.choices, blank=True
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "round", "contact"], name="invitation_unique_contact"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "contact", "created_at"], name="invite_fatigue")]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.round_id}/{self.contact_id} ({self.status})"


class SurveyLink(models.Model):
    """Platform-level map from a personal link's digest to its tenant and invitation.

    Read before any tenant is known, so deliberately not TenantOwned (its column is
    `owner_tenant_id`, not `tenant_id`) and without RLS: it holds only the SHA-256
    digest of the token and two ids. Everything else is then read inside that tenant's
    scope under forced RLS (decision 006). An invitation has one link per mail sent
    (the invitation and each reminder), since the plain token is never stored.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, db_column="owner_tenant_id", related_name="+"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey link")

    def __str__(self) -> str:
        return self.digest[:8]


class Response(TenantOwned):
    """One submitted questionnaire. Anonymous ones keep no invitation, contact or time."""

    audited = False

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    may_contact = models.BooleanField(_("may be contacted"), default=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invitation"],
                condition=Q(invitation__isnull=False),
                name="response_one_per_invitation",
            )
        ]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"response {self.pk}"


class Answer(TenantOwned):
    audited = False

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    score = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["question__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "response", "question"], name="answer_unique_question"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10),
                name="answer_score_range",
            ),
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.score if self.score is not None else self.text[:30]}"


class FollowUp(TenantOwned):
    """What was done about a low score: contact made, cause found, action taken."""

    # One per response (tenant-first unique constraint below, not a one-to-one key).
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="follow_ups")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="follow_ups")
    agreement = models.ForeignKey(
        Agreement, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lowest_score = models.PositiveSmallIntegerField(_("lowest score"))
    due_at = models.DateTimeField(_("due"))
    assignee_name = models.CharField(_("assigned to"), max_length=200, blank=True)
    assignee_email = models.EmailField(_("assignee's email"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    contacted_at = models.DateTimeField(_("contact made"), null=True, blank=True)
    cause = models.TextField(_("cause found"), blank=True)
    action = models.TextField(_("action taken"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "response"], name="followup_unique_response")
        ]
        indexes = [models.Index(fields=["tenant", "status", "due_at"], name="followup_due")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"follow-up {self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status == FollowUpStatus.OPEN and self.due_at < timezone.now()

    def clean(self) -> None:
        super().clean()
        if self.status == FollowUpStatus.CLOSED:
            errors = {}
            if not self.cause.strip():
                errors["cause"] = _("Say what caused the low score before closing.")
            if not self.action.strip():
                errors["action"] = _("Say what was done about it before closing.")
            if errors:
                raise ValidationError(errors)
