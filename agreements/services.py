"""Writes of the agreements domain that span rows: atomic, validated, audited through saves.

Pages and the API call these; neither writes agreements or their parts another way.

- create_agreement(customer=..., title=..., reference=..., services=[...], tiers=None, ...)
- update_agreement(agreement, lock_version, **fields)      -> ConflictError when stale
- submit / withdraw / approve / activate / terminate / expire / new_version
- save_calendar(calendar, slots=..., holidays=..., working_days=...)
- save_metric(metric, tiers=...), save_tier(tier), delete_part(part)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from metrics.choices import TICKET_KINDS
from metrics.models import MetricDefinition, MetricTier, validate_metric_tiers
from slaweb.tenancy.context import current_tenant_id

from .choices import AgreementStatus, ExclusionKind, Side, TierCode
from .diff import build_snapshot
from .models import (
    Agreement,
    AgreementApproval,
    AgreementService,
    BusinessCalendar,
    CalendarHoliday,
    CalendarSlot,
    CalendarWorkingDay,
    ExclusionRule,
    PriorityTier,
    ReportRecipient,
    Service,
    check_slots,
)

TIER_FIELDS = (
    "code",
    "name",
    "description",
    "response_minutes",
    "resolution_minutes",
    "calendar",
    "order",
)
METRIC_FIELDS = (
    "name",
    "kind",
    "direction",
    "unit",
    "target",
    "minimum_acceptable",
    "attainment_goal_percent",
    "data_source",
    "provider_responsible",
    "customer_responsible",
    "period",
    "order",
)
EXCLUSION_FIELDS = ("kind", "description")
RECIPIENT_FIELDS = ("side", "contact", "name", "email")
COPIED_AGREEMENT_FIELDS = (
    "title",
    "reference",
    "kind",
    "customer",
    "customer_contact",
    "provider_team",
    "provider_contact_name",
    "provider_contact_email",
    "scope_included",
    "scope_excluded",
    "provider_responsibilities",
    "customer_responsibilities",
    "default_calendar",
    "effective_to",
    "monthly_fee",
    "currency",
    "credit_percent",
    "credit_tiers",
    "credit_cap_percent",
    "escalation_consecutive_breaches",
    "escalation_plan_due_days",
    "maintenance_notice_hours",
    "report_day_of_month",
)
NESTED = ("services", "tiers", "metrics", "exclusions", "recipients")


class ConflictError(Exception):
    """The agreement changed since the caller read it (stale lock_version). Nothing was saved."""

    def __init__(self, agreement_id: int, sent: int | None, current: int | None):
        self.agreement_id, self.sent, self.current = agreement_id, sent, current
        self.message = _(
            "This agreement was changed by someone else since you opened it (your copy is revision %(sent)s, "
            "the stored one is revision %(current)s). Nothing was saved: reload it and make your change again."
        ) % {"sent": sent, "current": current}
        super().__init__(str(self.message))


def default_tiers(calendar_24x7: BusinessCalendar | None) -> list[dict[str, Any]]:
    """The tiers of REQUIREMENTS.md; P1 runs 24x7, the others in the agreement's window."""
    return [
        {
            "code": TierCode.P1,
            "name": str(_("Urgent")),
            "description": str(_("Core business stopped")),
            "response_minutes": 15,
            "resolution_minutes": 120,
            "calendar": calendar_24x7,
            "order": 1,
        },
        {
            "code": TierCode.P2,
            "name": str(_("High")),
            "description": str(_("Major function impaired, a workaround exists")),
            "response_minutes": 30,
            "resolution_minutes": 240,
            "calendar": None,
            "order": 2,
        },
        {
            "code": TierCode.P3,
            "name": str(_("Medium")),
            "description": str(_("Minor function or partial impairment")),
            "response_minutes": 120,
            "resolution_minutes": 480,
            "calendar": None,
            "order": 3,
        },
        {
            "code": TierCode.P4,
            "name": str(_("Low")),
            "description": str(_("Question or suggestion")),
            "response_minutes": 240,
            "resolution_minutes": 1440,
            "calendar": None,
            "order": 4,
        },
    ]


def default_exclusions(notice_hours: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": ExclusionKind.PLANNED_MAINTENANCE,
            "description": str(
                _("Planned maintenance announced at least %(hours)s hours ahead.")
                % {"hours": notice_hours}
            ),
        },
        {"kind": ExclusionKind.FORCE_MAJEURE, "description": str(_("Force majeure events."))},
    ]


def always_calendar() -> BusinessCalendar:
    """The tenant's 24x7 calendar, created on first use (default window of P1)."""
    calendar = BusinessCalendar.objects.filter(is_24x7=True, archived=False).order_by("pk").first()
    if calendar is not None:
        return calendar
    name = "24x7"
    if BusinessCalendar.objects.filter(name=name).exists():
        name = "24x7 (P1)"
    calendar = BusinessCalendar(name=name, is_24x7=True, country="")
    calendar.full_clean()
    calendar.save()
    return calendar


# --------------------------------------------------------------------------
# Create and update


@transaction.atomic
def create_agreement(
    *,
    services: Iterable[Service] = (),
    tiers: Sequence[Mapping] | None = None,
    metrics: Sequence[Mapping] | None = None,
    exclusions: Sequence[Mapping] | None = None,
    recipients: Sequence[Mapping] | None = None,
    **fields,
) -> Agreement:
    """A new draft. Without `tiers` it gets P1-P4 defaults; without `exclusions` the usual two."""
    agreement = Agreement(**fields)
    agreement.status = AgreementStatus.DRAFT
    _validate(agreement)
    agreement.save()
    _set_services(agreement, services)
    _sync_tiers(agreement, default_tiers(always_calendar()) if tiers is None else tiers)
    _sync_metrics(agreement, metrics or [])
    _sync_simple(
        agreement,
        ExclusionRule,
        "exclusions",
        EXCLUSION_FIELDS,
        default_exclusions(agreement.maintenance_notice_hours)
        if exclusions is None
        else exclusions,
    )
    _sync_simple(agreement, ReportRecipient, "recipients", RECIPIENT_FIELDS, recipients or [])
    return agreement


@transaction.atomic
def update_agreement(agreement: Agreement, lock_version: int | None, **changes) -> Agreement:
    """Change a draft. `lock_version` is the one the caller read: a stale one raises
    ConflictError and nothing changes. Nested lists (services, tiers, metrics, exclusions,
    recipients) replace the stored ones when given; tiers match by code, metrics by id or name."""
    if lock_version is None:
        raise ValidationError(
            {
                "lock_version": _(
                    "Send the lock_version you read, so that no one else's change is overwritten."
                )
            }
        )
    fresh = _claim(agreement, lock_version)
    fresh.ensure_editable()
    nested = {name: changes.pop(name) for name in NESTED if name in changes}
    for name, value in changes.items():
        setattr(fresh, name, value)
    _validate(fresh)
    fresh.save()
    if "services" in nested:
        _set_services(fresh, nested["services"])
    if "tiers" in nested:
        _sync_tiers(fresh, nested["tiers"])
    if "metrics" in nested:
        _sync_metrics(fresh, nested["metrics"])
    if "tiers" in nested and "metrics" not in nested:
        _check_ticket_metrics(fresh)
    if "exclusions" in nested:
        _sync_simple(fresh, ExclusionRule, "exclusions", EXCLUSION_FIELDS, nested["exclusions"])
    if "recipients" in nested:
        _sync_simple(fresh, ReportRecipient, "recipients", RECIPIENT_FIELDS, nested["recipients"])
    return fresh


def _claim(agreement: Agreement, lock_version: int | None) -> Agreement:
    """Bump lock_version with a conditional UPDATE (it also locks the row) and reload.

    Two writers holding the same lock_version: the second one's UPDATE matches no row."""
    rows = Agreement.objects.filter(pk=agreement.pk)
    if lock_version is not None:
        rows = rows.filter(lock_version=lock_version)
    if not rows.update(lock_version=F("lock_version") + 1):
        current = (
            Agreement.objects.filter(pk=agreement.pk).values_list("lock_version", flat=True).first()
        )
        if current is None:
            raise Agreement.DoesNotExist
        raise ConflictError(agreement.pk, lock_version, current)
    return Agreement.objects.get(pk=agreement.pk)


def _validate(instance: models.Model, exclude: Iterable[str] = ()) -> None:
    # The tenant is set before full_clean so unique constraints (tenant, ...) are checked.
    instance.tenant_id = instance.tenant_id or current_tenant_id()
    instance.full_clean(exclude=list(exclude))


def _prefixed(error: ValidationError, prefix: str) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{prefix}: {field}: {message}" if field != "__all__" else f"{prefix}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [f"{prefix}: {message}" for message in error.messages]


def _set_services(agreement: Agreement, services: Iterable[Service]) -> None:
    wanted = {service.pk: service for service in services}
    for link in agreement.service_links.all():
        if link.service_id not in wanted:
            link.delete()
        else:
            wanted.pop(link.service_id)
    for service in wanted.values():
        link = AgreementService(tenant_id=agreement.tenant_id, agreement=agreement, service=service)
        _validate(link)
        link.save()


def _sync_tiers(agreement: Agreement, items: Sequence[Mapping]) -> None:
    codes = [item.get("code") for item in items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValidationError(
            {
                "tiers": _("Each priority tier code may appear once: %(codes)s.")
                % {"codes": ", ".join(duplicates)}
            }
        )
    existing = {tier.code: tier for tier in agreement.tiers.all()}
    for code, tier in existing.items():
        if code not in codes:
            tier.delete()
    errors: list[str] = []
    for item in items:
        tier = existing.get(item.get("code")) or PriorityTier(
            tenant_id=agreement.tenant_id, agreement=agreement
        )
        for name in TIER_FIELDS:
            if name in item:
                setattr(tier, name, item[name])
        try:
            _validate(tier)
        except ValidationError as error:
            errors += _prefixed(error, str(_("Tier %(code)s") % {"code": item.get("code")}))
            continue
        tier.save()
    if errors:
        raise ValidationError({"tiers": errors})


def _sync_metrics(agreement: Agreement, items: Sequence[Mapping]) -> None:
    """Metrics match by id, else by name; `tier_codes` (or `tiers`, instances) picks their tiers."""
    tiers_by_code = {tier.code: tier for tier in agreement.tiers.all()}
    existing = list(agreement.metrics.all())
    by_id = {metric.pk: metric for metric in existing}
    by_name = {metric.name: metric for metric in existing}
    kept: set[int] = set()
    plans = []
    for item in items:
        metric = by_id.get(item.get("id")) or by_name.get(item.get("name"))
        if metric is not None and metric.pk not in kept:
            kept.add(metric.pk)
        else:
            metric = None
        plans.append((item, metric))
    for metric in existing:
        if metric.pk not in kept:
            metric.delete()
    errors: list[str] = []
    for item, metric in plans:
        metric = metric or MetricDefinition(tenant_id=agreement.tenant_id, agreement=agreement)
        for name in METRIC_FIELDS:
            if name in item:
                setattr(metric, name, item[name])
        label = str(_("Metric '%(name)s'") % {"name": item.get("name", "")})
        if "tier_codes" in item:
            unknown = [code for code in item["tier_codes"] if code not in tiers_by_code]
            if unknown:
                errors.append(
                    f"{label}: "
                    + str(
                        _("no priority tier %(codes)s in this agreement.")
                        % {"codes": ", ".join(unknown)}
                    )
                )
                continue
            tiers = [tiers_by_code[code] for code in item["tier_codes"]]
        elif "tiers" in item:
            tiers = list(item["tiers"])
        else:
            tiers = list(metric.tiers.all()) if metric.pk else []
        try:
            _validate(metric)
            validate_metric_tiers(metric.kind, tiers)
        except ValidationError as error:
            errors += _prefixed(error, label)
            continue
        metric.save()
        _set_metric_tiers(metric, tiers)
    if errors:
        raise ValidationError({"metrics": errors})


def _set_metric_tiers(metric: MetricDefinition, tiers: Iterable[PriorityTier]) -> None:
    wanted = {tier.pk: tier for tier in tiers}
    for link in metric.tier_links.all():
        if link.tier_id not in wanted:
            link.delete()
        else:
            wanted.pop(link.tier_id)
    for tier in wanted.values():
        link = MetricTier(tenant_id=metric.tenant_id, metric=metric, tier=tier)
        _validate(link)
        link.save()


def _check_ticket_metrics(agreement: Agreement) -> None:
    """After tiers were removed: every ticket-based metric must still cover a tier."""
    orphans = (
        agreement.metrics.filter(kind__in=TICKET_KINDS)
        .annotate(tier_count=models.Count("tier_links"))
        .filter(tier_count=0)
        .values_list("name", flat=True)
    )
    if orphans:
        raise ValidationError(
            {
                "metrics": _(
                    "These ticket-based metrics no longer apply to any priority tier: %(names)s."
                )
                % {"names": ", ".join(orphans)}
            }
        )


def _sync_simple(
    agreement: Agreement, model, section: str, fields: Sequence[str], items: Sequence[Mapping]
) -> None:
    """Exclusions and recipients: items with a known id are updated, others created, the rest removed."""
    existing = {part.pk: part for part in getattr(agreement, section).all()}
    keep = {item.get("id") for item in items if item.get("id") in existing}
    for pk, part in existing.items():
        if pk not in keep:
            part.delete()
    errors: list[str] = []
    for index, item in enumerate(items, start=1):
        part = existing.get(item.get("id")) or model(
            tenant_id=agreement.tenant_id, agreement=agreement
        )
        for name in fields:
            if name in item:
                setattr(part, name, item[name])
        try:
            _validate(part)
        except ValidationError as error:
            errors += _prefixed(error, f"#{index}")
            continue
        part.save()
    if errors:
        raise ValidationError({section: errors})


@transaction.atomic
def delete_agreement(agreement: Agreement) -> None:
    """Only drafts can be deleted (Agreement.delete refuses the others)."""
    agreement.delete()


# --------------------------------------------------------------------------
# Parts edited on their own (API endpoints of tiers and metrics)


@transaction.atomic
def save_part(part: models.Model) -> models.Model:
    """Create or change a tier, exclusion or report recipient of a draft."""
    _validate(part)
    part.save()
    return part


save_tier = save_part


@transaction.atomic
def save_metric(
    metric: MetricDefinition, tiers: Iterable[PriorityTier] | None = None
) -> MetricDefinition:
    """Create or change a metric of a draft; `tiers` None keeps the current ones."""
    _validate(metric)
    current = list(metric.tiers.all()) if metric.pk else []
    chosen = current if tiers is None else list(tiers)
    foreign = [tier.code for tier in chosen if tier.agreement_id != metric.agreement_id]
    if foreign:
        raise ValidationError(
            {
                "tiers": _("These priority tiers belong to another agreement: %(codes)s.")
                % {"codes": ", ".join(foreign)}
            }
        )
    validate_metric_tiers(metric.kind, chosen)
    metric.save()
    _set_metric_tiers(metric, chosen)
    return metric


@transaction.atomic
def delete_part(part: models.Model) -> None:
    """Delete a part of a draft (the part's delete() refuses on frozen agreements)."""
    agreement = Agreement.objects.get(pk=part.agreement_id)
    part.delete()
    if isinstance(part, PriorityTier):
        _check_ticket_metrics(agreement)


# --------------------------------------------------------------------------
# Workflow


def _transition(
    agreement: Agreement, lock_version: int | None, allowed: Iterable[str], action
) -> Agreement:
    fresh = _claim(agreement, lock_version)
    if fresh.status not in allowed:
        raise ValidationError(
            _("Cannot %(action)s agreement %(ref)s v%(version)s: it is %(status)s.")
            % {
                "action": action,
                "ref": fresh.reference,
                "version": fresh.version,
                "status": fresh.get_status_display(),
            },
            code="invalid_transition",
        )
    return fresh


def completeness_errors(agreement: Agreement) -> list[str]:
    """What a draft still lacks before it can go to review."""
    errors = []
    if not agreement.effective_from:
        errors.append(str(_("Set the date from which the agreement is in force.")))
    if not agreement.service_links.exists():
        errors.append(str(_("Choose at least one service.")))
    if not agreement.tiers.exists():
        errors.append(str(_("Define at least one priority tier.")))
    if not agreement.metrics.exists():
        errors.append(str(_("Define at least one metric.")))
    orphans = (
        agreement.metrics.filter(kind__in=TICKET_KINDS)
        .exclude(tier_links__isnull=False)
        .values_list("name", flat=True)
    )
    for name in orphans:
        errors.append(
            str(
                _("Metric '%(name)s' is measured from tickets: choose at least one priority tier.")
                % {"name": name}
            )
        )
    if agreement.tiers.filter(calendar__isnull=True).exists() and not agreement.default_calendar_id:
        errors.append(
            str(_("Choose the agreement's service window (tiers without their own window use it)."))
        )
    try:
        agreement.full_clean()
    except ValidationError as error:
        errors += _prefixed(error, str(_("Agreement")))
    return errors


@transaction.atomic
def submit(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """draft -> in review, once the draft is complete."""
    fresh = _transition(agreement, lock_version, [AgreementStatus.DRAFT], _("submit"))
    errors = completeness_errors(fresh)
    if errors:
        raise ValidationError(errors, code="incomplete")
    fresh.status = AgreementStatus.IN_REVIEW
    fresh.submitted_at = timezone.now()
    fresh.save()
    return fresh


@transaction.atomic
def withdraw(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """in review -> draft again (to change it); approvals given so far are dropped."""
    fresh = _transition(agreement, lock_version, [AgreementStatus.IN_REVIEW], _("withdraw"))
    for approval in fresh.approvals.all():
        approval.delete()
    fresh.status = AgreementStatus.DRAFT
    fresh.submitted_at = None
    fresh.save()
    return fresh


@transaction.atomic
def approve(
    agreement: Agreement,
    *,
    side: str,
    user=None,
    name: str = "",
    comment: str = "",
    lock_version: int | None = None,
) -> AgreementApproval:
    """Record one side's approval (who, when) of an agreement in review."""
    if side not in Side.values:
        raise ValidationError({"side": _("Side must be provider or customer.")})
    fresh = _transition(agreement, lock_version, [AgreementStatus.IN_REVIEW], _("approve"))
    previous = fresh.approvals.filter(side=side).first()
    if previous is not None:
        raise ValidationError(
            {
                "side": _("The %(side)s side already approved (%(name)s, %(at)s).")
                % {
                    "side": Side(side).label,
                    "name": previous.name,
                    "at": f"{previous.at:%Y-%m-%d %H:%M}",
                }
            }
        )
    if not name and user is not None:
        name = user.get_full_name() or user.email or user.get_username()
    if not name:
        raise ValidationError({"name": _("Name the person who approves.")})
    approval = AgreementApproval(
        tenant_id=fresh.tenant_id,
        agreement=fresh,
        side=side,
        approved_by=user,
        name=name,
        comment=comment,
    )
    _validate(approval)
    approval.save()
    return approval


@transaction.atomic
def activate(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """in review -> active once both sides approved. A version it supersedes ends the day before."""
    fresh = _transition(agreement, lock_version, [AgreementStatus.IN_REVIEW], _("activate"))
    approved = set(fresh.approvals.values_list("side", flat=True))
    missing = [side for side in Side.values if side not in approved]
    if missing:
        raise ValidationError(
            _("Both sides must approve before activation; missing: %(sides)s.")
            % {"sides": ", ".join(str(Side(side).label) for side in missing)},
            code="approval_missing",
        )
    if not fresh.effective_from:
        raise ValidationError(
            {"effective_from": _("Set the date from which the agreement is in force.")}
        )
    previous = fresh.supersedes
    if previous is not None:
        previous = Agreement.objects.select_for_update().get(pk=previous.pk)
    if previous is not None and previous.status == AgreementStatus.ACTIVE:
        if fresh.effective_from <= previous.effective_from:
            raise ValidationError(
                {
                    "effective_from": _(
                        "Version %(new)s must start after version %(old)s (in force from %(date)s)."
                    )
                    % {
                        "new": fresh.version,
                        "old": previous.version,
                        "date": previous.effective_from,
                    }
                }
            )
        last_day = fresh.effective_from - dt.timedelta(days=1)
        previous.status = AgreementStatus.SUPERSEDED
        if previous.effective_to is None or previous.effective_to > last_day:
            previous.effective_to = last_day
        previous.lock_version += 1
        previous.save()
    fresh.status = AgreementStatus.ACTIVE
    fresh.activated_at = timezone.now()
    fresh.save()
    fresh.snapshot = build_snapshot(fresh)  # after the status change, so it says "active"
    fresh.save(update_fields=["snapshot"])
    return fresh


@transaction.atomic
def terminate(agreement: Agreement, *, reason: str, lock_version: int | None = None) -> Agreement:
    """active -> terminated early, with a reason; it is no longer in force after today."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give the reason for terminating the agreement.")})
    fresh = _transition(agreement, lock_version, [AgreementStatus.ACTIVE], _("terminate"))
    _end(fresh, AgreementStatus.TERMINATED, reason.strip())
    return fresh


@transaction.atomic
def expire(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """active -> expired (its end date passed, or ended by hand)."""
    fresh = _transition(agreement, lock_version, [AgreementStatus.ACTIVE], _("expire"))
    _end(fresh, AgreementStatus.EXPIRED, "")
    return fresh


def _end(agreement: Agreement, status: str, reason: str) -> None:
    today = timezone.localdate()
    if agreement.effective_from and agreement.effective_from <= today:
        if agreement.effective_to is None or agreement.effective_to > today:
            agreement.effective_to = today
    agreement.status = status
    agreement.ended_at = timezone.now()
    agreement.end_reason = reason
    agreement.save()


@transaction.atomic
def expire_due(today: dt.date | None = None) -> int:
    """Expire the active agreements of the open tenant whose end date has passed."""
    today = today or timezone.localdate()
    due = Agreement.objects.filter(status=AgreementStatus.ACTIVE, effective_to__lt=today)
    count = 0
    for agreement in due:
        expire(agreement)
        count += 1
    return count


@transaction.atomic
def new_version(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """Copy an active agreement with all its parts into a new draft (version + 1) that supersedes it."""
    fresh = _transition(
        agreement, lock_version, [AgreementStatus.ACTIVE], _("create a new version of")
    )
    pending = Agreement.objects.filter(
        family=fresh.family, status__in=[AgreementStatus.DRAFT, AgreementStatus.IN_REVIEW]
    ).first()
    if pending is not None:
        raise ValidationError(
            _("Version %(version)s of this agreement is already being prepared (%(status)s).")
            % {"version": pending.version, "status": pending.get_status_display()},
            code="pending_version",
        )
    latest = Agreement.objects.filter(family=fresh.family).aggregate(models.Max("version"))[
        "version__max"
    ]
    copy = Agreement(
        tenant_id=fresh.tenant_id, family=fresh.family, supersedes=fresh, version=latest + 1
    )
    for name in COPIED_AGREEMENT_FIELDS:
        setattr(copy, name, getattr(fresh, name))
    # Suggest a start after the old version's; the manager sets the real date before review.
    copy.effective_from = max(timezone.localdate(), fresh.effective_from + dt.timedelta(days=1))
    if copy.effective_to and copy.effective_to <= copy.effective_from:
        copy.effective_to = None
    try:
        copy.save()
    except IntegrityError as error:  # a concurrent new_version won the race for the number
        raise ValidationError(
            _("Another new version was just created; reload the agreement.")
        ) from error
    _set_services(copy, fresh.services.all())
    tier_map = {}
    for tier in fresh.tiers.all():
        old_pk = tier.pk
        tier.pk = tier.id = None
        tier.agreement, tier.tenant_id = copy, copy.tenant_id
        tier._state.adding = True
        tier.save()
        tier_map[old_pk] = tier
    for metric in fresh.metrics.prefetch_related("tier_links"):
        tier_ids = [link.tier_id for link in metric.tier_links.all()]
        metric.pk = metric.id = None
        metric.agreement = copy
        metric._state.adding = True
        metric.save()
        _set_metric_tiers(metric, [tier_map[pk] for pk in tier_ids])
    for section in ("exclusions", "recipients"):
        for part in getattr(fresh, section).all():
            part.pk = part.id = None
            part.agreement = copy
            part._state.adding = True
            part.save()
    return copy


# --------------------------------------------------------------------------
# Calendars


@transaction.atomic
def save_calendar(
    calendar: BusinessCalendar,
    *,
    slots: Sequence[Mapping] | None = None,
    holidays: Sequence[Mapping] | None = None,
    working_days: Sequence[Mapping] | None = None,
) -> BusinessCalendar:
    """Create or change a calendar; given child lists replace the stored ones."""
    _validate(calendar)
    calendar.save()
    if slots is not None:
        check_slots([(item["weekday"], item["start_time"], item["end_time"]) for item in slots])
        _replace(
            calendar,
            calendar.slots.all(),
            CalendarSlot,
            slots,
            ("weekday", "start_time", "end_time"),
        )
    holiday_dates = (
        [item["date"] for item in holidays]
        if holidays is not None
        else list(calendar.holidays.values_list("date", flat=True))
    )
    working_dates = (
        [item["date"] for item in working_days]
        if working_days is not None
        else list(calendar.working_days.values_list("date", flat=True))
    )
    both = sorted(set(holiday_dates) & set(working_dates))
    if both:
        raise ValidationError(
            {
                "working_days": _("A date cannot be both a holiday and a working day: %(dates)s.")
                % {"dates": ", ".join(d.isoformat() for d in both)}
            }
        )
    for field, dates in (("holidays", holiday_dates), ("working_days", working_dates)):
        repeated = sorted({d for d in dates if dates.count(d) > 1})
        if repeated:
            raise ValidationError(
                {
                    field: _("Each date may appear once: %(dates)s.")
                    % {"dates": ", ".join(d.isoformat() for d in repeated)}
                }
            )
    if holidays is not None:
        _replace(calendar, calendar.holidays.all(), CalendarHoliday, holidays, ("date", "name"))
    if working_days is not None:
        _replace(
            calendar,
            calendar.working_days.all(),
            CalendarWorkingDay,
            working_days,
            ("date", "name"),
        )
    return calendar


def _replace(calendar, current, model, items, fields) -> None:
    """Replace a calendar's children, keeping rows that did not change (a quieter audit trail)."""
    key = lambda obj: tuple(obj[f] if isinstance(obj, Mapping) else getattr(obj, f) for f in fields)  # noqa: E731
    existing = {key(row): row for row in current}
    wanted = {key(item): item for item in items}
    for k, row in existing.items():
        if k not in wanted:
            row.delete()
    for k, item in wanted.items():
        if k in existing:
            continue
        row = model(
            tenant_id=calendar.tenant_id,
            calendar=calendar,
            **{f: item[f] for f in fields if f in item},
        )
        if "name" in item:
            row.name = item["name"]
        row.save()
