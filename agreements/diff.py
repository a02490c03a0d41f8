"""Snapshots of agreement versions and readable differences between two versions.

A snapshot is plain JSON (names, not ids; codes, not labels), stored at activation so an
old version and its differences stay readable even when customers, calendars or contacts
change later. The fields come from agreements/editable.py (one list for services, API,
forms and this diff); labels from the models' verbose names, values shown as people
write them (choice labels, "—" for nothing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .editable import COPIED_AGREEMENT_FIELDS, EXCLUSION_FIELDS, METRIC_FIELDS, TIER_FIELDS
from .models import Agreement, ExclusionRule, MetricDefinition, PriorityTier, ReportRecipient

SNAPSHOT_FORMAT = 1
NOTHING = "—"

# Compared fields, in reading order (a snapshot's keys).


def _agreement_keys() -> tuple[str, ...]:
    keys = [name for name in COPIED_AGREEMENT_FIELDS if name != "effective_to"]
    keys.insert(keys.index("scope_included"), "services")
    at = keys.index("default_calendar") + 1
    keys[at:at] = ["effective_from", "effective_to"]
    return tuple(keys)


AGREEMENT_KEYS = _agreement_keys()
TIER_KEYS = tuple(name for name in TIER_FIELDS if name != "code")
METRIC_KEYS = tuple(name for name in METRIC_FIELDS if name != "name") + ("tiers",)
EXCLUSION_KEYS = tuple(name for name in EXCLUSION_FIELDS if name != "kind")
RECIPIENT_KEYS = ("name",)


def _number(value) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _plain(instance: models.Model, name: str):
    """A field's value as JSON: related rows by name, numbers as text, dates ISO."""
    model_field = instance._meta.get_field(name)
    if model_field.is_relation:
        related = getattr(instance, name)
        return str(related) if related is not None else ""
    value = getattr(instance, name)
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def build_snapshot(agreement: Agreement) -> dict:
    """The agreement version as plain JSON, with names instead of ids."""
    tiers = list(agreement.tiers.select_related("calendar").order_by("order", "code"))
    metrics = list(agreement.metrics.prefetch_related("tiers").order_by("order", "id"))
    head = {name: _plain(agreement, name) for name in AGREEMENT_KEYS if name != "services"}
    head["customer"] = agreement.customer.name
    head["services"] = sorted(service.name for service in agreement.services.all())
    head["credit_tiers"] = agreement.credit_tiers or []
    return {
        "format": SNAPSHOT_FORMAT,
        "id": agreement.pk,
        "version": agreement.version,
        "status": agreement.status,
        "agreement": head,
        "tiers": [{name: _plain(tier, name) for name in TIER_FIELDS} for tier in tiers],
        "metrics": [
            {
                **{name: _plain(metric, name) for name in METRIC_FIELDS},
                "tiers": sorted(tier.code for tier in metric.tiers.all()),
            }
            for metric in metrics
        ],
        "exclusions": [
            {name: _plain(rule, name) for name in EXCLUSION_FIELDS}
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


# --------------------------------------------------------------------------
# Labels and values for people

SECTION_MODELS = {
    "agreement": Agreement,
    "tier": PriorityTier,
    "metric": MetricDefinition,
    "exclusion": ExclusionRule,
    "recipient": ReportRecipient,
}
SPECIAL_LABELS = {
    ("metric", "tiers"): _("applies to"),
    ("agreement", "services"): _("services"),
}


def label(section: str, name: str) -> str:
    special = SPECIAL_LABELS.get((section, name))
    if special is not None:
        return str(capfirst(special))
    return str(capfirst(SECTION_MODELS[section]._meta.get_field(name).verbose_name))


def _choices(section: str, name: str) -> dict:
    try:
        model_field = SECTION_MODELS[section]._meta.get_field(name)
    except Exception:  # snapshot keys without a model field (services, tiers)
        return {}
    base = getattr(model_field, "base_field", None)  # ArrayField of choices
    choices = model_field.choices or (base.choices if base is not None else None) or ()
    return {str(code): str(capfirst(text)) for code, text in choices}


def show(section: str, name: str, value) -> str:
    """A snapshot value as people read it: labels for codes, '—' for nothing."""
    if value in (None, "", []):
        return NOTHING
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    choices = _choices(section, name)
    if isinstance(value, list):
        if value and isinstance(value[0], dict):  # tiered credits
            return "; ".join(", ".join(f"{k}: {v}" for k, v in item.items()) for item in value)
        return ", ".join(choices.get(str(v), str(v)) for v in value)
    return choices.get(str(value), str(value))


def _empty(value) -> bool:
    return value in (None, "", [])


@dataclass(frozen=True)
class Change:
    """One difference: section is agreement / tier / metric / exclusion / recipient.

    `rows` are (field label, before, after) as shown in the version comparison table; an
    added or removed part lists each of its fields."""

    section: str
    action: str  # changed, added, removed
    item: str = ""
    field: str = ""
    label: str = ""
    old: Any = None
    new: Any = None
    rows: tuple = dataclasses.field(default=(), compare=False)

    @property
    def part(self) -> str:
        owner = {
            "agreement": _("Agreement"),
            "tier": _("Tier %(item)s"),
            "metric": _("Metric '%(item)s'"),
            "exclusion": _("Exclusion '%(item)s'"),
            "recipient": _("Report recipient '%(item)s'"),
        }[self.section]
        return str(owner) % {"item": self.item} if "%(item)s" in str(owner) else str(owner)

    def __str__(self) -> str:
        if self.action == "added":
            return gettext("%(owner)s added") % {"owner": self.part}
        if self.action == "removed":
            return gettext("%(owner)s removed") % {"owner": self.part}
        return f"{self.part} · {self.label}: {self.rows[0][1]} → {self.rows[0][2]}"

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


def _compare_fields(section, item, old: dict, new: dict, keys) -> list[Change]:
    changes = []
    for name in keys:
        if name not in old or name not in new:  # a snapshot older than the field
            continue
        before, after = old[name], new[name]
        if before == after or (_empty(before) and _empty(after)):
            continue
        text = label(section, name)
        row = (text, show(section, name, before), show(section, name, after))
        changes.append(Change(section, "changed", item, name, text, before, after, (row,)))
    return changes


def _item_rows(section, item: dict, keys, added: bool) -> tuple:
    rows = []
    for name in keys:
        if _empty(item.get(name)):
            continue
        value = show(section, name, item.get(name))
        rows.append(
            (label(section, name), NOTHING, value)
            if added
            else (label(section, name), value, NOTHING)
        )
    return tuple(rows)


def _compare_items(section, key, old_items, new_items, keys) -> list[Change]:
    old_by_key = {item[key]: item for item in old_items}
    new_by_key = {item[key]: item for item in new_items}
    changes = []
    for name, item in old_by_key.items():
        if name not in new_by_key:
            changes.append(
                Change(section, "removed", name, rows=_item_rows(section, item, keys, added=False))
            )
    for name, item in new_by_key.items():
        if name not in old_by_key:
            changes.append(
                Change(section, "added", name, rows=_item_rows(section, item, keys, added=True))
            )
        else:
            changes.extend(_compare_fields(section, name, old_by_key[name], item, keys))
    return changes


def diff_snapshots(old: dict, new: dict) -> list[Change]:
    changes = _compare_fields("agreement", "", old["agreement"], new["agreement"], AGREEMENT_KEYS)
    changes += _compare_items("tier", "code", old["tiers"], new["tiers"], TIER_KEYS)
    changes += _compare_items("metric", "name", old["metrics"], new["metrics"], METRIC_KEYS)
    changes += _compare_items(
        "exclusion",
        "key",
        _keyed(old["exclusions"], lambda e: show("exclusion", "kind", e["kind"])),
        _keyed(new["exclusions"], lambda e: show("exclusion", "kind", e["kind"])),
        EXCLUSION_KEYS,
    )
    changes += _compare_items(
        "recipient",
        "key",
        _keyed(
            old["recipients"], lambda r: f"{show('recipient', 'side', r['side'])}: {r['email']}"
        ),
        _keyed(
            new["recipients"], lambda r: f"{show('recipient', 'side', r['side'])}: {r['email']}"
        ),
        RECIPIENT_KEYS,
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
