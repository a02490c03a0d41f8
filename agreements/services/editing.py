"""Creating and editing agreements and their parts (drafts only), with optimistic locking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from slaweb.tenancy.context import current_tenant_id
from slaweb.tenancy.models import Tenant

from ..choices import TICKET_KINDS, AgreementStatus, ExclusionKind, TierCode
from ..editable import (
    EXCLUSION_FIELDS,
    METRIC_FIELDS,
    RECIPIENT_FIELDS,
    TIER_FIELDS,
)
from ..models import (
    Agreement,
    AgreementService,
    BusinessCalendar,
    ExclusionRule,
    MetricDefinition,
    MetricTier,
    PriorityTier,
    ReportRecipient,
    Service,
    validate_metric_tiers,
)
from .base import atomic_service

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


@atomic_service
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
    # Default texts are written in the tenant's language, whoever's page created the draft.
    with translation.override(Tenant.objects.get(pk=agreement.tenant_id).language):
        if tiers is None:
            tiers = default_tiers(always_calendar())
        if exclusions is None:
            exclusions = default_exclusions(agreement.maintenance_notice_hours)
    _sync_tiers(agreement, tiers)
    _sync_metrics(agreement, metrics or [])
    _sync_simple(agreement, ExclusionRule, "exclusions", EXCLUSION_FIELDS, exclusions)
    _sync_simple(agreement, ReportRecipient, "recipients", RECIPIENT_FIELDS, recipients or [])
    return agreement


@atomic_service
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


@atomic_service
def delete_agreement(agreement: Agreement) -> None:
    """Only drafts can be deleted (Agreement.delete refuses the others)."""
    agreement.delete()


# --------------------------------------------------------------------------
# Parts edited on their own (API endpoints of tiers and metrics)


@atomic_service
def save_part(
    part: models.Model, *, claim: bool = False, lock_version: int | None = None
) -> models.Model:
    """Create or change a tier, exclusion or report recipient of a draft.

    `claim`: bump the agreement's lock_version (checking `lock_version` when given), as a
    change of the agreement; the pages claim it themselves through update_agreement()."""
    if claim:
        _claim_for(part, lock_version)
    _validate(part)
    part.save()
    return part


def _claim_for(part: models.Model, lock_version: int | None) -> None:
    agreement = Agreement(pk=part.agreement_id)
    _claim(agreement, lock_version).ensure_editable()


save_tier = save_part


@atomic_service
def save_metric(
    metric: MetricDefinition,
    tiers: Iterable[PriorityTier] | None = None,
    *,
    claim: bool = False,
    lock_version: int | None = None,
) -> MetricDefinition:
    """Create or change a metric of a draft; `tiers` None keeps the current ones.
    `claim` and `lock_version` as in save_part()."""
    if claim:
        _claim_for(metric, lock_version)
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


@atomic_service
def delete_part(
    part: models.Model, *, claim: bool = False, lock_version: int | None = None
) -> None:
    """Delete a part of a draft (the part's delete() refuses on frozen agreements).
    `claim` and `lock_version` as in save_part()."""
    if claim:
        _claim_for(part, lock_version)
    agreement = Agreement.objects.get(pk=part.agreement_id)
    part.delete()
    if isinstance(part, PriorityTier):
        _check_ticket_metrics(agreement)
