"""Snapshots of agreement versions and readable differences between two versions.

A snapshot is plain JSON (names, not ids), stored at activation so an old version and
its differences stay readable even when customers, calendars or contacts change later.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Agreement

SNAPSHOT_FORMAT = 1

# Agreement fields compared by the diff, in reading order, with their labels.
AGREEMENT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("title", _("title")),
    ("reference", _("reference")),
    ("kind", _("kind")),
    ("customer", _("customer")),
    ("customer_contact", _("customer's responsible contact")),
    ("provider_team", _("provider team")),
    ("provider_contact_name", _("provider's responsible person")),
    ("provider_contact_email", _("provider's responsible email")),
    ("services", _("services")),
    ("scope_included", _("scope: included")),
    ("scope_excluded", _("scope: not included")),
    ("provider_responsibilities", _("provider's responsibilities")),
    ("customer_responsibilities", _("customer's responsibilities")),
    ("default_calendar", _("service window")),
    ("effective_from", _("effective from")),
    ("effective_to", _("effective to")),
    ("monthly_fee", _("monthly fee")),
    ("currency", _("currency")),
    ("credit_percent", _("service credit per breached metric (%)")),
    ("credit_tiers", _("tiered credits")),
    ("credit_cap_percent", _("credit cap per period (%)")),
    ("escalation_consecutive_breaches", _("breaches in a row that require an improvement plan")),
    ("escalation_plan_due_days", _("improvement plan due within (days)")),
    ("maintenance_notice_hours", _("planned maintenance notice (hours)")),
    ("report_day_of_month", _("monthly report due on day")),
)
TIER_FIELDS = (
    ("name", _("name")),
    ("description", _("meaning")),
    ("response_minutes", _("response within (minutes)")),
    ("resolution_minutes", _("resolution within (minutes)")),
    ("calendar", _("service window")),
    ("order", _("order")),
)
METRIC_FIELDS = (
    ("kind", _("kind")),
    ("direction", _("direction")),
    ("unit", _("unit")),
    ("target", _("target")),
    ("minimum_acceptable", _("minimum acceptable")),
    ("attainment_goal_percent", _("attainment goal (%)")),
    ("tiers", _("priority tiers")),
    ("period", _("measurement period")),
    ("data_source", _("data source")),
    ("provider_responsible", _("responsible person (provider)")),
    ("customer_responsible", _("responsible person (customer)")),
    ("order", _("order")),
)


def _number(value) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _date(value) -> str | None:
    return value.isoformat() if value else None


def build_snapshot(agreement: Agreement) -> dict:
    """The agreement version as plain JSON, with names instead of ids."""
    tiers = list(agreement.tiers.select_related("calendar").order_by("order", "code"))
    metrics = list(agreement.metrics.prefetch_related("tiers").order_by("order", "id"))
    return {
        "format": SNAPSHOT_FORMAT,
        "id": agreement.pk,
        "version": agreement.version,
        "status": agreement.status,
        "agreement": {
            "title": agreement.title,
            "reference": agreement.reference,
            "kind": agreement.kind,
            "customer": agreement.customer.name,
            "customer_contact": str(agreement.customer_contact)
            if agreement.customer_contact_id
            else "",
            "provider_team": agreement.provider_team,
            "provider_contact_name": agreement.provider_contact_name,
            "provider_contact_email": agreement.provider_contact_email,
            "services": sorted(service.name for service in agreement.services.all()),
            "scope_included": agreement.scope_included,
            "scope_excluded": agreement.scope_excluded,
            "provider_responsibilities": agreement.provider_responsibilities,
            "customer_responsibilities": agreement.customer_responsibilities,
            "default_calendar": agreement.default_calendar.name
            if agreement.default_calendar_id
            else "",
            "effective_from": _date(agreement.effective_from),
            "effective_to": _date(agreement.effective_to),
            "monthly_fee": _number(agreement.monthly_fee),
            "currency": agreement.currency,
            "credit_percent": _number(agreement.credit_percent),
            "credit_tiers": agreement.credit_tiers or [],
            "credit_cap_percent": _number(agreement.credit_cap_percent),
            "escalation_consecutive_breaches": agreement.escalation_consecutive_breaches,
            "escalation_plan_due_days": agreement.escalation_plan_due_days,
            "maintenance_notice_hours": agreement.maintenance_notice_hours,
            "report_day_of_month": agreement.report_day_of_month,
        },
        "tiers": [
            {
                "code": tier.code,
                "name": tier.name,
                "description": tier.description,
                "response_minutes": tier.response_minutes,
                "resolution_minutes": tier.resolution_minutes,
                "calendar": tier.calendar.name if tier.calendar_id else "",
                "order": tier.order,
            }
            for tier in tiers
        ],
        "metrics": [
            {
                "name": metric.name,
                "kind": metric.kind,
                "direction": metric.direction,
                "unit": metric.unit,
                "target": _number(metric.target),
                "minimum_acceptable": _number(metric.minimum_acceptable),
                "attainment_goal_percent": _number(metric.attainment_goal_percent),
                "tiers": sorted(tier.code for tier in metric.tiers.all()),
                "period": metric.period,
                "data_source": metric.data_source,
                "provider_responsible": metric.provider_responsible,
                "customer_responsible": metric.customer_responsible,
                "order": metric.order,
            }
            for metric in metrics
        ],
        "exclusions": [
            {"kind": rule.kind, "description": rule.description}
            for rule in agreement.exclusions.order_by("kind", "id")
        ],
        "recipients": [
            {"side": r.side, "name": r.contact.name if r.contact_id else r.name, "email": r.address}
            for r in agreement.recipients.select_related("contact").order_by("side", "id")
        ],
        "approvals": [
            {"side": a.side, "name": a.name, "at": a.at.isoformat(), "comment": a.comment}
            for a in agreement.approvals.order_by("side")
        ],
    }


def version_snapshot(agreement: Agreement) -> dict:
    """The stored snapshot once activated; a draft or a version in review is read live."""
    return agreement.snapshot or build_snapshot(agreement)


@dataclass(frozen=True)
class Change:
    """One difference: section is agreement / tier / metric / exclusion / recipient."""

    section: str
    action: str  # changed, added, removed
    item: str = ""
    field: str = ""
    label: str = ""
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        owner = {
            "agreement": "",
            "tier": str(_("Tier '%(item)s'")),
            "metric": str(_("Metric '%(item)s'")),
            "exclusion": str(_("Exclusion '%(item)s'")),
            "recipient": str(_("Report recipient '%(item)s'")),
        }[self.section] % {"item": self.item}
        if self.action == "added":
            return str(_("%(owner)s added")) % {"owner": owner}
        if self.action == "removed":
            return str(_("%(owner)s removed")) % {"owner": owner}
        subject = f"{owner} {self.label}".strip()
        return f"{subject}: {_show(self.old)} -> {_show(self.new)}"

    def as_dict(self) -> dict:
        return {
            "section": self.section,
            "action": self.action,
            "item": self.item,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "text": str(self),
        }


def _show(value) -> str:
    if value in (None, "", []):
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _compare_fields(section, item, old: dict, new: dict, fields) -> list[Change]:
    return [
        Change(section, "changed", item, name, str(label), old.get(name), new.get(name))
        for name, label in fields
        if old.get(name) != new.get(name)
    ]


def _compare_items(section, key, old_items, new_items, fields) -> list[Change]:
    old_by_key = {item[key]: item for item in old_items}
    new_by_key = {item[key]: item for item in new_items}
    changes = []
    for name in old_by_key.keys() - new_by_key.keys():
        changes.append(Change(section, "removed", name))
    for name, item in new_by_key.items():
        if name not in old_by_key:
            changes.append(Change(section, "added", name))
        else:
            changes.extend(_compare_fields(section, name, old_by_key[name], item, fields))
    return changes


def diff_snapshots(old: dict, new: dict) -> list[Change]:
    changes = _compare_fields("agreement", "", old["agreement"], new["agreement"], AGREEMENT_FIELDS)
    changes += _compare_items("tier", "code", old["tiers"], new["tiers"], TIER_FIELDS)
    changes += _compare_items("metric", "name", old["metrics"], new["metrics"], METRIC_FIELDS)
    changes += _compare_items(
        "exclusion",
        "key",
        _keyed(old["exclusions"], lambda e: e["kind"]),
        _keyed(new["exclusions"], lambda e: e["kind"]),
        [("description", _("description"))],
    )
    changes += _compare_items(
        "recipient",
        "key",
        _keyed(old["recipients"], lambda r: f"{r['side']}: {r['email']}"),
        _keyed(new["recipients"], lambda r: f"{r['side']}: {r['email']}"),
        [("name", _("name"))],
    )
    return changes


def _keyed(items: list[dict], key) -> list[dict]:
    """Items with a unique "key" (a repeated key gets " #2", " #3"...)."""
    seen: dict[str, int] = {}
    keyed = []
    for item in items:
        base = key(item)
        seen[base] = seen.get(base, 0) + 1
        keyed.append({**item, "key": base if seen[base] == 1 else f"{base} #{seen[base]}"})
    return keyed


def diff_versions(old: Agreement, new: Agreement) -> list[Change]:
    """Field-level changes from `old` to `new` (any two versions, in either order)."""
    return diff_snapshots(version_snapshot(old), version_snapshot(new))
