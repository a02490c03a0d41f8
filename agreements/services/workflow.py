"""The agreement lifecycle: submit, withdraw, send back, approve, activate, terminate, expire, new version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import TICKET_KINDS, AgreementStatus, Side
from ..diff import build_snapshot
from ..editable import (
    COPIED_AGREEMENT_FIELDS,
    EXCLUSION_FIELDS,
    METRIC_FIELDS,
    RECIPIENT_FIELDS,
    TIER_FIELDS,
)
from ..models import (
    Agreement,
    AgreementApproval,
    Contact,
    MetricTier,
)
from .base import atomic_service
from .editing import (
    _claim,
    _prefixed,
    _set_services,
    _validate,
)


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


@atomic_service
def submit(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """draft -> in review, once the draft is complete."""
    fresh = _transition(agreement, lock_version, [AgreementStatus.DRAFT], _("submit"))
    errors = completeness_errors(fresh)
    if errors:
        raise ValidationError(errors, code="incomplete")
    fresh.status = AgreementStatus.IN_REVIEW
    fresh.submitted_at = timezone.now()
    fresh.sent_back_reason = ""
    fresh.save()
    return fresh


@atomic_service
def withdraw(agreement: Agreement, lock_version: int | None = None) -> Agreement:
    """in review -> draft again (to change it); approvals given so far are dropped."""
    fresh = _transition(agreement, lock_version, [AgreementStatus.IN_REVIEW], _("withdraw"))
    for approval in fresh.approvals.all():
        approval.delete()
    fresh.status = AgreementStatus.DRAFT
    fresh.submitted_at = None
    fresh.save()
    return fresh


@atomic_service
def send_back(agreement: Agreement, *, reason: str, lock_version: int | None = None) -> Agreement:
    """in review -> draft, by a reviewer, with the reason (shown on the draft and audited);
    approvals given so far are dropped."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the agreement goes back to draft.")})
    fresh = withdraw(agreement, lock_version)
    # A second save: the row is a draft again, so the reason is an ordinary change.
    fresh.sent_back_reason = reason.strip()
    fresh.save()
    return fresh


@atomic_service
def approve(
    agreement: Agreement,
    *,
    side: str,
    user=None,
    name: str = "",
    comment: str = "",
    lock_version: int | None = None,
    on_behalf_of: Contact | None = None,
    evidence: str = "",
    via_link: bool = False,
) -> AgreementApproval:
    """Record one side's approval (who, when, how) of an agreement in review.

    A member approves the provider side as themselves. The customer side is approved by the
    agreement's customer contact through the emailed link (`via_link`), or recorded by a
    member on behalf of a customer contact with the evidence noted. One user never accounts
    for both sides. Without a user (seeds, imports) the name is required."""
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
                    "at": _local(previous.at),
                }
            }
        )
    if user is not None:
        other = fresh.approvals.filter(Q(approved_by=user) | Q(recorded_by=user)).first()
        if other is not None:
            raise ValidationError(
                {
                    "side": _(
                        "You already accounted for the %(side)s side; the other side must be "
                        "approved by someone else."
                    )
                    % {"side": other.get_side_display()}
                },
                code="same_user",
            )
    approval = AgreementApproval(
        tenant_id=fresh.tenant_id, agreement=fresh, side=side, comment=comment.strip()
    )
    if via_link:
        approval.method = AgreementApproval.Method.LINK
        approval.contact = fresh.customer_contact
        approval.name = fresh.customer_contact.name
    elif user is not None and side == Side.CUSTOMER:
        contact = on_behalf_of or fresh.customer_contact
        if contact is None or contact.customer_id != fresh.customer_id:
            raise ValidationError(
                {"on_behalf_of": _("Choose the customer's contact who approved.")}
            )
        approval.method = AgreementApproval.Method.ON_BEHALF
        approval.contact, approval.name = contact, contact.name
        approval.recorded_by, approval.evidence = user, evidence.strip()
    else:
        approval.approved_by = approval.recorded_by = user
        if not name and user is not None:
            name = user.get_full_name() or user.email or user.get_username()
        if not name:
            raise ValidationError({"name": _("Name the person who approves.")})
        approval.name = name
    _validate(approval)
    approval.save()
    return approval


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


@atomic_service
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


@atomic_service
def terminate(agreement: Agreement, *, reason: str, lock_version: int | None = None) -> Agreement:
    """active -> terminated early, with a reason; it is no longer in force after today."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give the reason for terminating the agreement.")})
    fresh = _transition(agreement, lock_version, [AgreementStatus.ACTIVE], _("terminate"))
    _end(fresh, AgreementStatus.TERMINATED, reason.strip())
    return fresh


@atomic_service
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


@atomic_service
def expire_due(today: dt.date | None = None) -> int:
    """Expire the active agreements of the open tenant whose end date has passed."""
    today = today or timezone.localdate()
    due = Agreement.objects.filter(status=AgreementStatus.ACTIVE, effective_to__lt=today)
    count = 0
    for agreement in due:
        expire(agreement)
        count += 1
    return count


@atomic_service
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
    if copy.effective_to and copy.effective_to < copy.effective_from:
        copy.effective_to = None
    try:
        copy.save()
    except IntegrityError as error:  # a concurrent new_version won the race for the number
        raise ValidationError(
            _("Another new version was just created; reload the agreement.")
        ) from error
    _set_services(copy, fresh.services.all())
    # Parts are copied into new rows field by field (the editable field lists of editing.py);
    # the old version's rows are only read.
    tier_map = {}
    for tier in fresh.tiers.all():
        tier_map[tier.pk] = _copy_part(tier, copy, TIER_FIELDS)
    for metric in fresh.metrics.prefetch_related("tier_links"):
        tier_ids = [link.tier_id for link in metric.tier_links.all()]
        new_metric = _copy_part(metric, copy, METRIC_FIELDS)
        for tier_id in tier_ids:
            MetricTier(tenant_id=copy.tenant_id, metric=new_metric, tier=tier_map[tier_id]).save()
    for section, fields in (("exclusions", EXCLUSION_FIELDS), ("recipients", RECIPIENT_FIELDS)):
        for part in getattr(fresh, section).all():
            _copy_part(part, copy, fields)
    return copy


def _copy_part(part, agreement: Agreement, fields):
    """A new row of the part's model for `agreement`, with the part's values of `fields`."""
    model = type(part)
    new = model(tenant_id=agreement.tenant_id, agreement=agreement)
    for name in fields:
        attname = model._meta.get_field(name).attname
        setattr(new, attname, getattr(part, attname))
    new.save()
    return new
