"""The audit trail for people: record types and field labels in words, choice labels,
related rows by name, times in the tenant's time zone with the zone shown.

`present(events, tenant)` reads the related rows of a page of events in one query per
related model, so a page costs a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

NOTHING = "—"
VIA = {
    "web": _("web page"),
    "api": _("API"),
    "task": _("scheduled job"),
    "command": _("command"),
    "link": _("email link"),
}


@dataclass(frozen=True)
class ChangeRow:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class EventRow:
    event: object
    at: datetime
    actor: str
    via: str
    action: str
    record_type: str
    object_repr: str
    changes: tuple[ChangeRow, ...]


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def record_type(label: str) -> str:
    model = _model(label)
    return str(capfirst(model._meta.verbose_name)) if model is not None else label


def record_type_choices() -> list[tuple[str, str]]:
    """Every audited model, by name in the current language (the audit filter's list)."""
    from .audit import _is_audited

    found = [
        (model._meta.label_lower, str(capfirst(model._meta.verbose_name)))
        for model in apps.get_models()
        if _is_audited(model)
    ]
    return sorted(found, key=lambda item: item[1].lower())


def tenant_zone(tenant) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(tenant, "time_zone", "") or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _fields_by_attname(model) -> dict:
    return {field.attname: field for field in model._meta.concrete_fields}


def present(events, tenant) -> list[EventRow]:
    events = list(events)
    zone = tenant_zone(tenant)
    names = _related_names(events)
    rows = []
    for event in events:
        model = _model(event.model)
        fields = _fields_by_attname(model) if model is not None else {}
        changes = []
        for attname, pair in (event.changes or {}).items():
            field = fields.get(attname)
            if field is None or _internal(field) or not isinstance(pair, list) or len(pair) != 2:
                continue
            label = str(capfirst(field.verbose_name))
            old, new = (_show(field, value, names, zone) for value in pair)
            if event.action == "create" and new == NOTHING:
                continue
            if event.action == "delete" and old == NOTHING:
                continue
            changes.append(ChangeRow(label, old, new))
        rows.append(
            EventRow(
                event=event,
                at=local(event.at, zone),
                actor=event.actor_label,
                via=str(VIA[event.via]) if event.via in VIA else event.via,
                action=event.get_action_display(),
                record_type=record_type(event.model),
                object_repr=event.object_repr,
                changes=tuple(changes),
            )
        )
    return rows


# Bookkeeping, not something a person changed: ids, optimistic locks, version families.
INTERNAL_FIELDS = {"lock_version", "family", "snapshot"}


def _internal(field: models.Field) -> bool:
    return (
        field.primary_key
        or field.name in INTERNAL_FIELDS
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def _related_names(events) -> dict:
    """{(related model, pk): name} for every foreign key value in the events' changes."""
    wanted: dict[type, set] = {}
    for event in events:
        model = _model(event.model)
        if model is None:
            continue
        fields = _fields_by_attname(model)
        for attname, pair in (event.changes or {}).items():
            field = fields.get(attname)
            if field is not None and field.is_relation and isinstance(pair, list):
                wanted.setdefault(field.related_model, set()).update(
                    v for v in pair if v is not None
                )
    names = {}
    for related, ids in wanted.items():
        manager = related._base_manager  # the RLS policy still limits rows to the tenant
        for obj in manager.filter(pk__in=ids):
            names[(related, obj.pk)] = str(obj)
    return names


def _show(field: models.Field, value, names: dict, zone: ZoneInfo) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if field.is_relation:
        return names.get((field.related_model, value), f"#{value}")
    if isinstance(field, models.BooleanField):
        return gettext("Yes") if value else gettext("No")
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return local(moment, zone).strftime("%Y-%m-%d %H:%M %Z")
    choices = field.choices or getattr(getattr(field, "base_field", None), "choices", None)
    if choices:
        labels = {str(code): str(capfirst(text)) for code, text in choices}
        if isinstance(value, list):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, list):
        return (
            ", ".join(str(v) for v in value)
            if value and not isinstance(value[0], dict)
            else str(value)
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"
